/**
 * The wire schemas that logwarden's Loki and OTLP receivers decode with their own code, as
 * independent protobufjs encoders for tests and benchmarks (field numbers of Loki's
 * pkg/push/push.proto and of opentelemetry-proto logs/v1, common/v1, resource/v1), plus a sink
 * that collects what a source decoder hands on.
 */
import protobuf from 'protobufjs';

const root = protobuf.parse(`
  syntax = "proto3";
  message PushRequest { repeated StreamAdapter streams = 1; }
  message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
  message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
  message LabelPairAdapter { string name = 1; string value = 2; }
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }

  message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
  message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
  message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
  message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
  message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
  message LogRecord {
    fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3; AnyValue body = 5;
    repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7; fixed32 flags = 8;
    bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12;
  }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
`).root;

/** Loki's `PushRequest`. */
export const LokiPushRequest = root.lookupType('PushRequest');
/** OTLP's `ExportLogsServiceRequest`. */
export const OtlpExportLogs = root.lookupType('ExportLogsServiceRequest');

/** A sink for a source decoder that keeps the records and the rejects it was handed. */
export function collectSink() {
  const records: Array<Record<string, unknown>> = [];
  const rejects: Array<[string, string]> = [];
  return {
    records,
    rejects,
    sink: {
      record: (r: Record<string, unknown>) => records.push(r),
      reject: (reason: string, e: string) => rejects.push([reason, e]),
    },
  };
}
