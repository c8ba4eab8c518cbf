#!/usr/bin/env python3
"""Upload a folder into an S3 bucket of an S3 imitation (moto) on 127.0.0.1.

Usage: seed_bucket.py ENDPOINT BUCKET TREE

Creates BUCKET (path style, http://ENDPOINT/BUCKET) and PUTs every file of
TREE under its path relative to TREE, `/`-separated: the tree's folders become
key prefixes. moto accepts unsigned requests, so plain HTTP is enough.
Standard library only.
"""
import os
import sys
import urllib.parse
import urllib.request


def put(url: str, data: bytes) -> None:
    request = urllib.request.Request(url, data=data, method="PUT")
    request.add_header("Content-Type", "application/octet-stream")
    # Readable without signing, as a public data set is.
    request.add_header("x-amz-acl", "public-read")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def main() -> int:
    endpoint, bucket, tree = sys.argv[1:4]
    base = endpoint.rstrip("/") + "/" + urllib.parse.quote(bucket)
    put(base, b"")
    count = 0
    for folder, _dirs, files in os.walk(tree):
        for name in files:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, tree).replace(os.sep, "/")
            with open(path, "rb") as f:
                put(base + "/" + urllib.parse.quote(key, safe="/"), f.read())
            count += 1
    print(f"seed_bucket: {count} objects in {base}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
