"""Interoperability of kafi's schema support with Confluent's own Python code.

Run by crates/kafi/tests/registry.rs (test `confluent_interop`) as

    python registry_interop.py --registry http://127.0.0.1:PORT --kafi KAFI --home DIR

where `kafi registry serve local:local` serves the emulated registry of the
local storage configured in DIR (KAFI_HOME). Checks:

1. Confluent's SchemaRegistryClient against `kafi registry serve`: register,
   get_subjects, get_latest_version, get_version, lookup_schema,
   test_compatibility, get/set compatibility, delete_subject soft and
   permanent, and the documented error codes (40401, 40403, 42201, 409).
2. Confluent -> kafi: bytes from AvroSerializer, ProtobufSerializer (a message
   class built at run time from a FileDescriptorProto, no protoc) and
   JSONSerializer, written to the local storage with
   `kafi produce --type bytes --envelope`, read by `kafi cat --value-type T`
   as the same values.
3. kafi -> Confluent: values produced with `kafi produce --value-type T
   --value-schema S`, read back as bytes (`kafi cat --type bytes`), decode
   in AvroDeserializer, ProtobufDeserializer and JSONDeserializer to the same
   values.

Avro unions: kafi reads and writes the Avro JSON encoding (`{"string": "x"}`
for a non-null branch), Confluent's (fastavro) plain Python values; the
comparison converts accordingly. Prints one `ok: ...` line per check and
exits non-zero on the first failure.
"""

import argparse
import base64
import json
import os
import subprocess
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import (
    ProtobufDeserializer,
    ProtobufSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

AVRO_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Snack",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "calories", "type": "float"},
            {"name": "colour", "type": "string"},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)

JSON_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Snack",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "calories": {"type": "number"},
            "colour": {"type": "string"},
        },
        "required": ["name", "calories", "colour"],
    }
)

PROTO_SCHEMA = """syntax = "proto3";

message Snack {
  string name = 1;
  float calories = 2;
  string colour = 3;
  repeated string tags = 4;
}
"""

# The seed's snack records (floats exactly representable in float32).
SNACKS = [
    {"name": "cookie", "calories": 500.0, "colour": "brown"},
    {"name": "cake", "calories": 260.0, "colour": "white"},
    {"name": "timtam", "calories": 80.5, "colour": "chocolate"},
]

ARGS = None


def ok(what):
    print(f"ok: {what}", flush=True)


def fail(what):
    print(f"FAILED: {what}", flush=True)
    sys.exit(1)


def check(condition, what, detail=""):
    if not condition:
        fail(f"{what} {detail}")
    ok(what)


def kafi(*args, stdin=None):
    """Runs kafi in the test environment; stdout as text."""
    env = dict(os.environ, KAFI_HOME=ARGS.home)
    env.pop("KAFI_LOG", None)
    run = subprocess.run(
        [ARGS.kafi, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ARGS.home,
        env=env,
        timeout=60,
    )
    if run.returncode != 0:
        fail(f"kafi {' '.join(args)} exited {run.returncode}: {run.stderr.strip()}")
    return run.stdout


def kafi_values(topic, value_type):
    out = kafi("cat", "local:local", topic, "--value-type", value_type)
    return [json.loads(line)["value"] for line in out.splitlines()]


def kafi_bytes(topic):
    """The raw value bytes of each message of topic."""
    out = kafi("cat", "local:local", topic, "--type", "bytes")
    values = []
    for line in out.splitlines():
        v = json.loads(line)["value"]
        values.append(base64.b64decode(v["base64"]) if isinstance(v, dict) else v.encode())
    return values


def write_bytes(topic, payloads):
    """Writes raw value bytes as messages with kafi's envelope form."""
    lines = "".join(
        json.dumps({"key": None, "value": {"base64": base64.b64encode(p).decode()}}) + "\n"
        for p in payloads
    )
    kafi("produce", "local:local", topic, "--type", "bytes", "--envelope", stdin=lines)


def expect_error(what, call, status, code):
    try:
        call()
    except SchemaRegistryError as e:
        check(
            e.http_status_code == status and e.error_code == code and e.error_message,
            f"{what}: HTTP {status}, error_code {code}",
            f"(got HTTP {e.http_status_code}, error_code {e.error_code}, {e.error_message!r})",
        )
        return
    fail(f"{what}: no error")


# ------------------------------------------------------------------ admin


def admin(sr):
    subject = "admin-value"
    v1 = Schema(
        json.dumps(
            {"type": "record", "name": "A", "fields": [{"name": "a", "type": "string"}]}
        ),
        "AVRO",
    )
    v2 = Schema(
        json.dumps(
            {
                "type": "record",
                "name": "A",
                "fields": [
                    {"name": "a", "type": "string"},
                    {"name": "b", "type": "int", "default": 0},
                ],
            }
        ),
        "AVRO",
    )
    bad = Schema(
        json.dumps(
            {
                "type": "record",
                "name": "A",
                "fields": [{"name": "a", "type": "string"}, {"name": "c", "type": "int"}],
            }
        ),
        "AVRO",
    )
    id1 = sr.register_schema(subject, v1)
    check(isinstance(id1, int) and id1 > 0, "register_schema answers an id", id1)
    check(sr.register_schema(subject, v1) == id1, "register_schema again: same id")
    id2 = sr.register_schema(subject, v2)
    check(id2 != id1, "register_schema of v2: a new id")
    check(subject in sr.get_subjects(), "get_subjects lists the subject")
    check(sr.get_subjects(subject_prefix="adm") == [subject], "get_subjects with a prefix")

    latest = sr.get_latest_version(subject)
    check(
        (latest.schema_id, latest.subject, latest.version) == (id2, subject, 2)
        and json.loads(latest.schema.schema_str) == json.loads(v2.schema_str)
        and latest.schema.schema_type == "AVRO",
        "get_latest_version",
        latest,
    )
    first = sr.get_version(subject, 1)
    check((first.schema_id, first.version) == (id1, 1), "get_version", first)
    check(sr.get_versions(subject) == [1, 2], "get_versions")
    found = sr.lookup_schema(subject, v1)
    check((found.schema_id, found.version, found.subject) == (id1, 1, subject), "lookup_schema")
    check(
        json.loads(sr.get_schema(id1).schema_str) == json.loads(v1.schema_str),
        "get_schema by id",
    )

    check(sr.get_compatibility() == "BACKWARD", "get_compatibility: BACKWARD by default")
    check(sr.test_compatibility(subject, v2) is True, "test_compatibility: compatible")
    check(sr.test_compatibility(subject, bad) is False, "test_compatibility: incompatible")
    expect_error("register an incompatible schema", lambda: sr.register_schema(subject, bad), 409, 409)
    answer = sr.set_compatibility(subject, "NONE")
    check(answer == {"compatibility": "NONE"}, "set_compatibility answers the level", answer)
    check(sr.get_compatibility(subject) == "NONE", "get_compatibility of the subject")
    answer = sr.set_compatibility(level="FULL")
    check(answer == {"compatibility": "FULL"}, "set_compatibility (global)", answer)
    check(sr.get_compatibility() == "FULL", "get_compatibility (global)")
    sr.set_compatibility(level="BACKWARD")

    expect_error(
        "get_latest_version of a missing subject",
        lambda: sr.get_latest_version("missing-value"),
        404,
        40401,
    )
    expect_error("get_schema of a missing id", lambda: sr.get_schema(987654), 404, 40403)
    expect_error(
        "register a schema that does not parse",
        lambda: sr.register_schema("broken-value", Schema('{"type": "recor', "AVRO")),
        422,
        42201,
    )

    check(sr.delete_subject(subject) == [1, 2], "delete_subject (soft) answers the versions")
    check(subject not in sr.get_subjects(), "get_subjects: a soft-deleted subject is gone")
    check(subject in sr.get_subjects(deleted=True), "get_subjects(deleted=True) lists it")
    check(sr.get_subjects(deleted_only=True) == [subject], "get_subjects(deleted_only=True)")
    check(
        sr.delete_subject(subject, permanent=True) == [1, 2],
        "delete_subject (permanent) answers the versions",
    )
    check(subject not in sr.get_subjects(deleted=True), "a permanently deleted subject is gone")


# ------------------------------------------------------------------ types


def snack_class():
    """A protobuf message class built at run time (no protoc). The file
    holds another message first, so Snack's message-index is [1]."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="snack_rt.proto", syntax="proto3")
    other = fdp.message_type.add(name="Other")
    other.field.add(name="x", number=1, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    m = fdp.message_type.add(name="Snack")
    m.field.add(name="name", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    m.field.add(name="calories", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    m.field.add(name="colour", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    m.field.add(name="tags", number=4, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("Snack"))


def avro_values():
    out = []
    for i, s in enumerate(SNACKS):
        out.append(dict(s, tags=["t%d" % j for j in range(i)], note=None if i % 2 else "n%d" % i))
    return out


def avro_to_kafi(v):
    """fastavro's plain value -> kafi's Avro JSON encoding (the union)."""
    return dict(v, note=None if v["note"] is None else {"string": v["note"]})


def pb_to_dict(msg):
    return {
        "name": msg.name,
        "calories": msg.calories,
        "colour": msg.colour,
        "tags": list(msg.tags),
    }


def pb_values():
    return [dict(s, tags=["t%d" % j for j in range(i)]) for i, s in enumerate(SNACKS)]


def kafi_pb(v):
    """kafi's protobuf JSON (proto3: defaults omitted) with the defaults."""
    return {
        "name": v.get("name", ""),
        "calories": v.get("calories", 0.0),
        "colour": v.get("colour", ""),
        "tags": v.get("tags", []),
    }


def confluent_to_kafi(sr):
    # avro
    topic = "from_confluent_avro"
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = AvroSerializer(sr, AVRO_SCHEMA)
    values = avro_values()
    write_bytes(topic, [ser(v, ctx) for v in values])
    got = kafi_values(topic, "avro")
    check(got == [avro_to_kafi(v) for v in values], "AvroSerializer -> kafi cat --value-type avro", got)

    # protobuf
    topic = "from_confluent_protobuf"
    ctx = SerializationContext(topic, MessageField.VALUE)
    Snack = snack_class()
    ser = ProtobufSerializer(Snack, sr, {"use.deprecated.format": False})
    values = pb_values()
    payloads = [ser(Snack(**v), ctx) for v in values]
    check(payloads[0][5:6] == b"\x02" and payloads[0][6:7] == b"\x02", "ProtobufSerializer wrote message-index [1]", payloads[0][:8])
    write_bytes(topic, payloads)
    got = [kafi_pb(v) for v in kafi_values(topic, "protobuf")]
    check(got == values, "ProtobufSerializer -> kafi cat --value-type protobuf", got)

    # jsonschema
    topic = "from_confluent_jsonschema"
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = JSONSerializer(JSON_SCHEMA, sr)
    write_bytes(topic, [ser(v, ctx) for v in SNACKS])
    got = kafi_values(topic, "jsonschema")
    check(got == SNACKS, "JSONSerializer -> kafi cat --value-type jsonschema", got)


def kafi_produce(topic, value_type, schema, values):
    lines = "".join(json.dumps(v) + "\n" for v in values)
    kafi(
        "produce",
        "local:local",
        topic,
        "--value-type",
        value_type,
        "--value-schema",
        schema,
        stdin=lines,
    )


def kafi_to_confluent(sr):
    # avro
    topic = "from_kafi_avro"
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = avro_values()
    kafi_produce(topic, "avro", AVRO_SCHEMA, [avro_to_kafi(v) for v in values])
    de = AvroDeserializer(sr)
    got = [de(b, ctx) for b in kafi_bytes(topic)]
    check(got == values, "kafi produce --value-type avro -> AvroDeserializer", got)

    # protobuf
    topic = "from_kafi_protobuf"
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = pb_values()
    kafi_produce(topic, "protobuf", PROTO_SCHEMA, values)
    Snack = snack_class()
    de = ProtobufDeserializer(Snack, {"use.deprecated.format": False})
    raw = kafi_bytes(topic)
    # kafi's proto has Snack first: message-index [0], the single-0 shortcut.
    check(raw[0][5:6] == b"\x00", "kafi wrote the single-0 message-index", raw[0][:6])
    got = [pb_to_dict(de(b, ctx)) for b in raw]
    check(got == values, "kafi produce --value-type protobuf -> ProtobufDeserializer", got)

    # jsonschema
    topic = "from_kafi_jsonschema"
    ctx = SerializationContext(topic, MessageField.VALUE)
    kafi_produce(topic, "jsonschema", JSON_SCHEMA, SNACKS)
    de = JSONDeserializer(JSON_SCHEMA)
    got = [de(b, ctx) for b in kafi_bytes(topic)]
    check(got == SNACKS, "kafi produce --value-type jsonschema -> JSONDeserializer", got)
    de = JSONDeserializer(None, schema_registry_client=sr)
    got = [de(b, ctx) for b in kafi_bytes(topic)]
    check(got == SNACKS, "JSONDeserializer with the schema from the registry", got)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", required=True)
    parser.add_argument("--kafi", required=True)
    parser.add_argument("--home", required=True)
    ARGS = parser.parse_args()
    sr = SchemaRegistryClient({"url": ARGS.registry})
    admin(sr)
    confluent_to_kafi(sr)
    kafi_to_confluent(sr)
    print("all interop checks passed", flush=True)


if __name__ == "__main__":
    main()
