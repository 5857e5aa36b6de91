/**
 * Grok patterns for JVM logs: log4j's and logback's default layouts, Spring Boot's console
 * layout (2.x and 3.x), and the log4j layouts of the Hadoop family as they appear in the Loghub
 * samples (Hadoop MapReduce, HDFS, Spark, ZooKeeper).
 */
export const JAVA_PATTERNS: Record<string, string> = {
  JAVACLASS: '(?:[a-zA-Z$_][a-zA-Z$_0-9]*\\.)*[a-zA-Z$_][a-zA-Z$_0-9]*',
  JAVAFILE: '(?:[a-zA-Z$_0-9. -]+)',
  JAVATHREAD: '(?:[A-Z]{2}-Processor[\\d]+)',
  JAVASTACKTRACEPART:
    '\\s*at %{JAVACLASS:java.class}\\.%{WORD:java.method}\\(%{JAVAFILE:java.file}(?::%{INT:java.line:int})?\\)',
  JAVA_TIMESTAMP: '(?:%{TIMESTAMP_ISO8601}|%{TIME})',
  LOG4J:
    '%{JAVA_TIMESTAMP:timestamp} \\[%{DATA:thread}\\] %{LOGLEVEL:level} +%{JAVACLASS:logger}(?::%{INT:line:int})? - %{GREEDYDATA:message}',
  LOGBACK:
    '%{JAVA_TIMESTAMP:timestamp} \\[%{DATA:thread}\\] %{LOGLEVEL:level} +%{JAVACLASS:logger}(?: \\[%{DATA:mdc}\\])? - %{GREEDYDATA:message}',
  SPRING_BOOT:
    '%{TIMESTAMP_ISO8601:timestamp} +%{LOGLEVEL:level} %{POSINT:pid:int} --- (?:\\[%{DATA:spring.application}\\] )?\\[ *%{DATA:thread}\\] %{JAVACLASS:logger} *: %{GREEDYDATA:message}',
  HADOOP:
    '%{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} \\[%{DATA:thread}\\] %{JAVACLASS:logger}: %{GREEDYDATA:message}',
  HDFS_TIMESTAMP: '\\d{6} \\d{6}',
  HDFS: '%{HDFS_TIMESTAMP:timestamp} %{INT:pid:int} %{LOGLEVEL:level} %{JAVACLASS:logger}: %{GREEDYDATA:message}',
  SPARK_TIMESTAMP: '\\d{2}/\\d{2}/\\d{2} %{TIME}',
  SPARK: '%{SPARK_TIMESTAMP:timestamp} %{LOGLEVEL:level} %{JAVACLASS:logger}: %{GREEDYDATA:message}',
  ZOOKEEPER:
    '%{TIMESTAMP_ISO8601:timestamp} - %{LOGLEVEL:level} +\\[%{DATA:thread}:%{JAVACLASS:logger}@%{INT:line:int}\\] - %{GREEDYDATA:message}',
};
