/**
 * Grok patterns for system logs: BSD syslog lines (RFC 3164 as files hold them), the macOS
 * variant with a `(context)` after the program, OpenSSH sshd messages and Postfix messages.
 */
export const SYSTEM_PATTERNS: Record<string, string> = {
  PROG: '[\\x21-\\x5a\\x5c\\x5e-\\x7e]+',
  SYSLOGPROG: '%{PROG:process.name}(?:\\[%{NONNEGINT:process.pid:int}\\])?',
  SYSLOGHOST: '%{IPORHOST}',
  SYSLOGPRI: '<%{NONNEGINT:syslog.priority:int}>',
  SYSLOGBASE: '(?:%{SYSLOGPRI})?%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:host} %{SYSLOGPROG}:',
  SYSLOGLINE: '%{SYSLOGBASE} ?%{GREEDYDATA:message}',
  MACOS_SYSLOG:
    '%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:host} %{DATA:process.name}\\[%{NONNEGINT:process.pid:int}\\](?: \\(%{DATA:syslog.context}\\))?: *%{GREEDYDATA:message}',
  SSHD_FAILED:
    'Failed %{WORD:ssh.method} for (?:invalid user )?%{USERNAME:user.name} from %{IP:source.ip} port %{INT:source.port:int}(?: %{WORD:ssh.protocol})?',
  SSHD_ACCEPTED:
    'Accepted %{WORD:ssh.method} for %{USERNAME:user.name} from %{IP:source.ip} port %{INT:source.port:int}(?: %{WORD:ssh.protocol})?(?:: %{GREEDYDATA:ssh.signature})?',
  SSHD_INVALID_USER:
    'Invalid user (?:%{USERNAME:user.name} )?from %{IP:source.ip}(?: port %{INT:source.port:int})?',
  SSHD_DISCONNECT:
    '(?:Received disconnect from|Disconnected from|Connection closed by) (?:(?:invalid |authenticating )?user %{USERNAME:user.name} )?%{IP:source.ip} port %{INT:source.port:int}(?::%{INT:ssh.disconnect_code:int})?(?:: %{GREEDYDATA:ssh.reason})?',
  SSHD_SESSION:
    'pam_unix\\(sshd:session\\): session (?<ssh__session>opened|closed) for user %{USERNAME:user.name}(?: by \\(uid=%{INT:user.id:int}\\))?',
  SSHD_MESSAGE: '(?:%{SSHD_FAILED}|%{SSHD_ACCEPTED}|%{SSHD_INVALID_USER}|%{SSHD_DISCONNECT}|%{SSHD_SESSION})',
  SSHD: '%{SYSLOGBASE} (?:%{SSHD_MESSAGE}|%{GREEDYDATA:message})',
  POSTFIX_QUEUEID: '(?:[0-9A-F]{6,}|[0-9a-zA-Z]{12,})',
  POSTFIX_KV_TO:
    'to=<%{DATA:postfix.to}>,(?: orig_to=<%{DATA:postfix.orig_to}>,)? relay=%{NOTSPACE:postfix.relay}, (?:conn_use=%{INT:postfix.conn_use:int}, )?delay=%{NUMBER:postfix.delay:float}, delays=%{NOTSPACE:postfix.delays}, dsn=%{NOTSPACE:postfix.dsn}, status=%{WORD:postfix.status}(?: %{GREEDYDATA:postfix.status_message})?',
  POSTFIX_KV_FROM:
    'from=<%{DATA:postfix.from}>, size=%{INT:postfix.size:int}, nrcpt=%{INT:postfix.nrcpt:int}',
  POSTFIX_CLIENT:
    'client=%{HOSTNAME:postfix.client.host}\\[%{IP:postfix.client.ip}\\](?::%{INT:postfix.client.port:int})?',
  POSTFIX_CONNECT:
    '(?<postfix__action>connect|disconnect) from %{HOSTNAME:postfix.client.host}\\[%{IP:postfix.client.ip}\\]',
  POSTFIX_MESSAGE:
    '(?:%{POSTFIX_QUEUEID:postfix.queue_id}: (?:%{POSTFIX_KV_TO}|%{POSTFIX_KV_FROM}|%{POSTFIX_CLIENT}|%{GREEDYDATA:message})|%{POSTFIX_CONNECT}|%{GREEDYDATA:message})',
  POSTFIX: '%{SYSLOGBASE} %{POSTFIX_MESSAGE}',
};
