"""confluent-kafka (librdkafka) side of `cargo xtask bench-cluster`.

Usage: bench_confluent.py BOOTSTRAP TOPIC N  -> JSON with msgs/s
Produces N messages (keys key-<i>, ~100-byte values) to TOPIC (1 partition,
created beforehand), then consumes them all with assign() (no group join).
"""

import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
value = b"x" * 90

p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
              "queue.buffering.max.messages": 1_000_000})
start = time.perf_counter()
for i in range(n):
    while True:
        try:
            p.produce(topic, value=value, key=f"key-{i}".encode())
            break
        except BufferError:
            p.poll(0.01)
    if i % 10000 == 0:
        p.poll(0)
p.flush(120)
produce = n / (time.perf_counter() - start)

c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-confluent",
              "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
count = 0
start = time.perf_counter()
while count < n:
    m = c.poll(1.0)
    if m is None:
        break
    if m.error():
        continue
    count += 1
consume = count / (time.perf_counter() - start)
c.close()
print(json.dumps({"produce_msgs_per_s": round(produce), "consume_msgs_per_s": round(consume),
                  "consumed": count}))
