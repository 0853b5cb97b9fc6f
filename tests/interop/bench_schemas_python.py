"""The Python Kafi package (PyPI kafi 0.0.74) on the schema benchmark's data,
for `cargo xtask bench schemas` (xtask/src/bench_schemas.rs).

    python bench_schemas_python.py --root DIR --registry URL --type avro \
        --schema SCHEMA --input snacks.jsonl -n N

Produces the first N snack records of INPUT (one JSON object a line) to a
local storage in DIR with `value_type`/`value_schema` (its registry is
`kafi registry serve` at URL: Python Kafi has no emulated registry), then
reads them all back (`foldl`, Kafi's consume loop, counting). Prints one JSON
object: {"type", "messages", "produce_seconds", "cat_seconds"}.
"""

import argparse
import itertools
import json
import time

from kafi.fs.local.local import Local


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--type", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("-n", type=int, required=True)
    args = parser.parse_args()

    with open(args.input) as f:
        values = [json.loads(line) for line in itertools.islice(f, args.n)]
    n = len(values)
    storage = Local(
        {
            "local": {"root.dir": args.root},
            "schema_registry": {"schema.registry.url": args.registry},
            "kafi": {"produce.batch.size": 10000, "consume.batch.size": 10000, "verbose": 0},
        }
    )
    topic = f"py_{args.type}"

    start = time.perf_counter()
    producer = storage.producer(topic, value_type=args.type, value_schema=args.schema)
    batch = 10000
    for i in range(0, n, batch):
        producer.produce(values[i : i + batch])
    producer.close()
    produce_seconds = time.perf_counter() - start

    start = time.perf_counter()
    count = storage.foldl(topic, lambda acc, _m: acc + 1, 0, value_type=args.type)[0]
    cat_seconds = time.perf_counter() - start
    if count != n:
        raise SystemExit(f"read {count} messages, expected {n}")
    print(
        json.dumps(
            {
                "type": args.type,
                "messages": n,
                "produce_seconds": produce_seconds,
                "cat_seconds": cat_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
