"""confluent-kafka (librdkafka) side of kafi's interoperability tests.

Usage:
  confluent.py consume BOOTSTRAP TOPIC COUNT     -> JSON list of messages (hex bytes)
  confluent.py produce BOOTSTRAP TOPIC           -> {"count": N, "keyed": [...]}
  confluent.py committed BOOTSTRAP GROUP TOPIC PARTITIONS -> {"p": offset}
  confluent.py commit BOOTSTRAP GROUP TOPIC P=OFFSET[,..]
"""

import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition


def hx(b):
    return None if b is None else b.hex()


def consume(bootstrap, topic, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafi-interop-reader",
                  "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    out, empty = [], 0
    while len(out) < count and empty < 20:
        m = c.poll(0.5)
        if m is None:
            empty += 1
            continue
        if m.error():
            raise SystemExit(str(m.error()))
        out.append({
            "partition": m.partition(), "offset": m.offset(), "timestamp": m.timestamp()[1],
            "key": hx(m.key()), "value": hx(m.value()),
            "headers": [[k, hx(v)] for k, v in (m.headers() or [])],
        })
    c.close()
    out.sort(key=lambda m: (m["partition"], m["offset"]))
    print(json.dumps(out))


def produce(bootstrap, topic):
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "linger.ms": 5})
    keyed = []
    delivered = []

    def report(err, msg):
        if err:
            raise SystemExit(str(err))
        delivered.append(msg)

    n = 0
    for i in range(12):
        key = None if i % 4 == 0 else f"ck-{i}".encode()
        value = None if i % 5 == 0 else bytes([i, 0, 255]) + b"confluent"
        headers = [("dup", b"a"), ("dup", b"b"), ("nil", None)] if i % 2 else []
        kwargs = {"timestamp": 1_650_000_000_000 + i}
        if key is None:
            kwargs["partition"] = i % 3
        p.produce(topic, value=value, key=key, headers=headers, on_delivery=report, **kwargs)
        n += 1
    p.flush(30)
    for m in delivered:
        if m.key() is not None:
            keyed.append({"key": m.key().decode(), "partition": m.partition()})
    print(json.dumps({"count": n, "keyed": keyed}))


def committed(bootstrap, group, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    got = c.committed([TopicPartition(topic, p) for p in range(int(partitions))], timeout=10)
    c.close()
    print(json.dumps({str(tp.partition): tp.offset for tp in got if tp.offset >= 0}))


def commit(bootstrap, group, topic, spec):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    tps = []
    for item in spec.split(","):
        p, o = item.split("=")
        tps.append(TopicPartition(topic, int(p), int(o)))
    c.commit(offsets=tps, asynchronous=False)
    c.close()
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"consume": lambda: consume(args[0], args[1], int(args[2])),
     "produce": lambda: produce(args[0], args[1]),
     "committed": lambda: committed(*args),
     "commit": lambda: commit(*args)}[mode]()
