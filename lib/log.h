/*
 * log.h - logging to stderr, which systemd hands to the journal.
 *
 * log_init is called once from main before any thread starts; the level and
 * program name it sets are the module's only state and are read-only
 * afterwards.  Under systemd (JOURNAL_STREAM set) lines carry a "<N>"
 * syslog priority prefix so the journal keeps the severity.  Writes are
 * single fprintf calls, so lines from threads do not interleave.
 */
#ifndef NC_LOG_H
#define NC_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *prog, enum log_level level);
/* Parse "error", "warn", "info", "debug": 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
int log_enabled(enum log_level level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit with status code. */
void log_fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
