/**
 * Grok patterns for the other formats of the Loghub collection (real samples with ground truth
 * in test/fixtures/loghub): Android logcat (threadtime), HealthApp's pipe-separated log and
 * Proxifier's connection log. Apache error logs and macOS lines use HTTPD_ERRORLOG and
 * MACOS_SYSLOG.
 */
export const LOGHUB_PATTERNS: Record<string, string> = {
  ANDROID_LEVEL: '[VDIWEFA]',
  ANDROID_LOGCAT:
    '(?<timestamp>%{MONTHNUM2}-%{MONTHDAY} %{TIME}) +%{INT:pid:int} +%{INT:tid:int} %{ANDROID_LEVEL:level} %{DATA:logger} *: %{GREEDYDATA:message}',
  HEALTHAPP:
    '(?<timestamp>\\d{8}-\\d{1,2}:\\d{1,2}:\\d{1,2}:\\d{1,3})\\|%{DATA:logger}\\|%{INT:pid:int}\\|%{GREEDYDATA:message}',
  PROXIFIER: '\\[(?<timestamp>\\d{2}\\.\\d{2} %{TIME})\\] %{DATA:process.name} - %{GREEDYDATA:message}',
};
