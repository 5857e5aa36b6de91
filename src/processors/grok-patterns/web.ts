/**
 * Grok patterns for web servers and proxies: Apache httpd / nginx access logs (common and
 * combined), Apache httpd error logs (2.2 and 2.4 layouts), nginx error logs and HAProxy HTTP
 * and TCP logs. Field names follow the Elastic Common Schema where one exists.
 */
export const WEB_PATTERNS: Record<string, string> = {
  HTTPDUSER: '(?:%{EMAILADDRESS}|%{USER}|-)',
  HTTP_REQUEST_LINE:
    '(?:%{WORD:http.method} %{NOTSPACE:url.original}(?: HTTP/%{NUMBER:http.version})?|%{DATA:http.request})',
  HTTPD_COMMONLOG:
    '%{IPORHOST:client.ip} %{HTTPDUSER:user.ident} %{HTTPDUSER:user.name} \\[%{HTTPDATE:timestamp}\\] "%{HTTP_REQUEST_LINE}" (?:-|%{INT:http.status:int}) (?:-|%{INT:http.bytes:int})',
  HTTPD_COMBINEDLOG: '%{HTTPD_COMMONLOG} "(?:-|%{DATA:http.referrer})" "(?:-|%{DATA:user_agent.original})"',
  COMMONAPACHELOG: '%{HTTPD_COMMONLOG}',
  COMBINEDAPACHELOG: '%{HTTPD_COMBINEDLOG}',
  NGINX_ACCESS: '%{HTTPD_COMBINEDLOG}(?: "(?:-|%{DATA:http.x_forwarded_for})")?',
  HTTPDERROR_DATE: '%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}',
  HTTPD_ERRORLOG:
    '\\[%{HTTPDERROR_DATE:timestamp}\\] \\[(?:%{WORD:apache.module}:)?%{LOGLEVEL:level}\\](?: \\[pid %{POSINT:pid:int}(?::tid %{INT:tid:int})?\\])?(?: \\[client %{IPORHOST:client.ip}(?::%{POSINT:client.port:int})?\\])?(?: %{GREEDYDATA:message})?',
  NGINX_ERROR_DATE: '\\d{4}/\\d{2}/\\d{2} %{TIME}',
  NGINX_ERRORLOG:
    '%{NGINX_ERROR_DATE:timestamp} \\[%{LOGLEVEL:level}\\] %{POSINT:pid:int}#%{NONNEGINT:tid:int}: (?:\\*%{NONNEGINT:nginx.connection_id:int} )?%{GREEDYDATA:message}',
  HAPROXYDATE: '%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME}',
  HAPROXYHTTPBASE:
    '%{IP:client.ip}:%{INT:client.port:int} \\[%{HAPROXYDATE:haproxy.accept_date}\\] %{NOTSPACE:haproxy.frontend} %{NOTSPACE:haproxy.backend}/%{NOTSPACE:haproxy.server} %{INT:haproxy.tq:int}/%{INT:haproxy.tw:int}/%{INT:haproxy.tc:int}/%{INT:haproxy.tr:int}/\\+?%{INT:haproxy.tt:int} %{INT:http.status:int} \\+?%{INT:http.bytes:int} %{NOTSPACE:haproxy.request_cookie} %{NOTSPACE:haproxy.response_cookie} %{NOTSPACE:haproxy.termination_state} %{INT:haproxy.actconn:int}/%{INT:haproxy.feconn:int}/%{INT:haproxy.beconn:int}/%{INT:haproxy.srvconn:int}/\\+?%{INT:haproxy.retries:int} %{INT:haproxy.srv_queue:int}/%{INT:haproxy.backend_queue:int}(?: \\{%{DATA:haproxy.request_headers}\\})?(?: \\{%{DATA:haproxy.response_headers}\\})? "(?:<BADREQ>|%{HTTP_REQUEST_LINE})"',
  HAPROXYTCPBASE:
    '%{IP:client.ip}:%{INT:client.port:int} \\[%{HAPROXYDATE:haproxy.accept_date}\\] %{NOTSPACE:haproxy.frontend} %{NOTSPACE:haproxy.backend}/%{NOTSPACE:haproxy.server} %{INT:haproxy.tw:int}/%{INT:haproxy.tc:int}/\\+?%{INT:haproxy.tt:int} \\+?%{INT:haproxy.bytes_read:int} %{NOTSPACE:haproxy.termination_state} %{INT:haproxy.actconn:int}/%{INT:haproxy.feconn:int}/%{INT:haproxy.beconn:int}/%{INT:haproxy.srvconn:int}/\\+?%{INT:haproxy.retries:int} %{INT:haproxy.srv_queue:int}/%{INT:haproxy.backend_queue:int}',
  HAPROXYHTTP: '(?:%{SYSLOGBASE} )?%{HAPROXYHTTPBASE}',
  HAPROXYTCP: '(?:%{SYSLOGBASE} )?%{HAPROXYTCPBASE}',
};
