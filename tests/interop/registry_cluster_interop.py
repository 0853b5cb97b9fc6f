"""Interoperability of kafi's schema support with Confluent's own Python code,
on the cluster storage (a real Kafka API broker: tansu under `cargo xtask test`).

Run by crates/kafi/tests/registry.rs (test `confluent_interop_on_the_cluster`) as

    python registry_cluster_interop.py --registry http://127.0.0.1:PORT \
        --kafi KAFI --home DIR --storage cluster:NAME --bootstrap HOST:PORT \
        --prefix UNIQUE_

where `kafi registry serve local:local` serves the registry and DIR (KAFI_HOME)
holds NAME.yaml: a cluster config on BOOTSTRAP whose `schema_registry` section
points at that server. Checks:

1. Confluent -> kafi: AvroSerializer, ProtobufSerializer (a message class built
   at run time, no protoc) and JSONSerializer values produced to topics on the
   broker by confluent_kafka's Producer, read by
   `kafi cat cluster:NAME TOPIC --value-type T` as the same values.
2. kafi -> Confluent: values produced with `kafi produce cluster:NAME TOPIC
   --value-type T --value-schema S`, read by confluent_kafka's Consumer
   (partitions assigned, no group join) and decoded by AvroDeserializer,
   ProtobufDeserializer and JSONDeserializer to the same values.

The schemas, values and value conversions are registry_interop.py's (the
same checks on the local storage). Prints one `ok: ...` line per check and
exits non-zero on the first failure.
"""

import argparse
import json
import os
import subprocess
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import (
    ProtobufDeserializer,
    ProtobufSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_interop import (  # noqa: E402
    AVRO_SCHEMA,
    JSON_SCHEMA,
    PROTO_SCHEMA,
    SNACKS,
    avro_to_kafi,
    avro_values,
    check,
    fail,
    kafi_pb,
    pb_to_dict,
    pb_values,
    snack_class,
)

ARGS = None


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
        timeout=120,
    )
    if run.returncode != 0:
        fail(f"kafi {' '.join(args)} exited {run.returncode}: {run.stderr.strip()}")
    return run.stdout


def topic_name(name):
    return ARGS.prefix + name


def create_topic(topic):
    kafi("touch", ARGS.storage, topic)


def kafi_values(topic, value_type):
    out = kafi("cat", ARGS.storage, topic, "--value-type", value_type)
    return [json.loads(line)["value"] for line in out.splitlines()]


def produce_confluent(topic, payloads):
    """Produces raw value bytes with confluent_kafka's Producer, one request
    per message (tansu's ListOffsets counts a multi-record batch as one,
    see shared/services.md), and checks every delivery."""
    producer = Producer({"bootstrap.servers": ARGS.bootstrap, "linger.ms": 0})
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(err)

    for p in payloads:
        producer.produce(topic, value=p, partition=0, on_delivery=delivered)
        if producer.flush(30) != 0:
            fail(f"confluent_kafka Producer: a message to {topic} was not delivered in 30 s")
    check(not errors, f"confluent_kafka Producer delivered {len(payloads)} messages to {topic}", errors)


def consume_confluent(topic, count):
    """The raw value bytes of the first `count` messages of partition 0,
    read by confluent_kafka's Consumer with assign() (no group join)."""
    consumer = Consumer(
        {
            "bootstrap.servers": ARGS.bootstrap,
            "group.id": ARGS.prefix + "reader",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out, empty = [], 0
    try:
        while len(out) < count and empty < 60:
            m = consumer.poll(0.5)
            if m is None:
                empty += 1
                continue
            if m.error():
                fail(f"confluent_kafka Consumer on {topic}: {m.error()}")
            out.append(m.value())
    finally:
        consumer.close()
    check(len(out) == count, f"confluent_kafka Consumer read {count} messages of {topic}", len(out))
    return out


# ------------------------------------------------------------ Confluent -> kafi


def confluent_to_kafi(sr):
    # avro
    topic = topic_name("from_confluent_avro")
    create_topic(topic)
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = AvroSerializer(sr, AVRO_SCHEMA)
    values = avro_values()
    produce_confluent(topic, [ser(v, ctx) for v in values])
    got = kafi_values(topic, "avro")
    check(
        got == [avro_to_kafi(v) for v in values],
        "AvroSerializer + Producer -> kafi cat cluster --value-type avro",
        got,
    )

    # protobuf
    topic = topic_name("from_confluent_protobuf")
    create_topic(topic)
    ctx = SerializationContext(topic, MessageField.VALUE)
    Snack = snack_class()
    ser = ProtobufSerializer(Snack, sr, {"use.deprecated.format": False})
    values = pb_values()
    payloads = [ser(Snack(**v), ctx) for v in values]
    check(payloads[0][5:7] == b"\x02\x02", "ProtobufSerializer wrote message-index [1]", payloads[0][:8])
    produce_confluent(topic, payloads)
    got = [kafi_pb(v) for v in kafi_values(topic, "protobuf")]
    check(got == values, "ProtobufSerializer + Producer -> kafi cat cluster --value-type protobuf", got)

    # jsonschema
    topic = topic_name("from_confluent_jsonschema")
    create_topic(topic)
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = JSONSerializer(JSON_SCHEMA, sr)
    produce_confluent(topic, [ser(v, ctx) for v in SNACKS])
    got = kafi_values(topic, "jsonschema")
    check(got == SNACKS, "JSONSerializer + Producer -> kafi cat cluster --value-type jsonschema", got)


# ------------------------------------------------------------ kafi -> Confluent


def kafi_produce(topic, value_type, schema, values):
    create_topic(topic)
    lines = "".join(json.dumps(v) + "\n" for v in values)
    kafi(
        "produce",
        ARGS.storage,
        topic,
        "--value-type",
        value_type,
        "--value-schema",
        schema,
        stdin=lines,
    )


def kafi_to_confluent(sr):
    # avro
    topic = topic_name("from_kafi_avro")
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = avro_values()
    kafi_produce(topic, "avro", AVRO_SCHEMA, [avro_to_kafi(v) for v in values])
    de = AvroDeserializer(sr)
    got = [de(b, ctx) for b in consume_confluent(topic, len(values))]
    check(got == values, "kafi produce cluster --value-type avro -> Consumer + AvroDeserializer", got)

    # protobuf
    topic = topic_name("from_kafi_protobuf")
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = pb_values()
    kafi_produce(topic, "protobuf", PROTO_SCHEMA, values)
    Snack = snack_class()
    de = ProtobufDeserializer(Snack, {"use.deprecated.format": False})
    raw = consume_confluent(topic, len(values))
    # kafi's proto has Snack first: message-index [0], the single-0 shortcut.
    check(raw[0][5:6] == b"\x00", "kafi wrote the single-0 message-index", raw[0][:6])
    got = [pb_to_dict(de(b, ctx)) for b in raw]
    check(got == values, "kafi produce cluster --value-type protobuf -> Consumer + ProtobufDeserializer", got)

    # jsonschema
    topic = topic_name("from_kafi_jsonschema")
    ctx = SerializationContext(topic, MessageField.VALUE)
    kafi_produce(topic, "jsonschema", JSON_SCHEMA, SNACKS)
    raw = consume_confluent(topic, len(SNACKS))
    de = JSONDeserializer(JSON_SCHEMA)
    got = [de(b, ctx) for b in raw]
    check(got == SNACKS, "kafi produce cluster --value-type jsonschema -> Consumer + JSONDeserializer", got)
    de = JSONDeserializer(None, schema_registry_client=sr)
    got = [de(b, ctx) for b in raw]
    check(got == SNACKS, "JSONDeserializer with the schema from the registry", got)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", required=True)
    parser.add_argument("--kafi", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--storage", required=True, help="cluster:NAME")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", default="")
    ARGS = parser.parse_args()
    sr = SchemaRegistryClient({"url": ARGS.registry})
    confluent_to_kafi(sr)
    kafi_to_confluent(sr)
    print("all cluster interop checks passed", flush=True)


if __name__ == "__main__":
    main()
