"""Deterministic corpora for the benchmark scenarios (python3 standard library only).

Every byte comes from `random.Random(seed)`, so two machines generate identical
trees. A tree is written once under WORKDIR/www (or www-quick) and reused while its
recipe is unchanged: `manifest.json` beside each tree records the recipe and the
SHA-256 and size of every file, which is what each tool's output is checked against.
"""

import hashlib
import json
import os
import random
import shutil
import zipfile

# Bump when the recipes below change, so stale trees are regenerated.
RECIPE_VERSION = 1
# Part of the quick S3 recipe (a manifest made with another size is remade).
QUICK_S3_SIZE = 32_000_000

WORDS = (
    "quake bot arena frag rocket rail shaft grenade lightning deathmatch team "
    "capture flag map level server client patch source readme install config "
    "skill waypoint route node enemy ally camp strafe jump ammo armor health "
    "mega quad pentagram ring invisibility slipgate nail super axe shotgun"
).split()


def write_text(path, rng, size):
    """Writes about `size` bytes of word salad (a readme-like .txt)."""
    words = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    lines = [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    with open(path, "w", encoding="ascii", newline="\n") as file:
        file.write("\n".join(lines) + "\n")


def write_random(path, rng, size):
    """Writes `size` pseudo-random bytes, 1 MiB at a time."""
    with open(path, "wb") as file:
        left = size
        while left > 0:
            block = min(left, 1 << 20)
            file.write(rng.randbytes(block))
            left -= block


def write_zip(path, rng, size):
    """Writes a real .zip archive (stored, fixed dates) of about `size` bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("data.bin", date_time=(2022, 9, 12, 0, 0, 0))
        archive.writestr(info, rng.randbytes(max(size - 200, 1)))


def s1(root, rng, quick):
    """The seed's own case: half small .txt, half .zip of 20 KB-1.5 MB, plus 2
    sub-directories (which a flat download must skip)."""
    pairs = 15 if quick else 55
    for index in range(pairs):
        name = f"{rng.choice(WORDS)}{index:03d}"
        write_text(os.path.join(root, name + ".txt"), rng, rng.randint(500, 8000))
        write_zip(os.path.join(root, name + ".zip"), rng, rng.randint(20_000, 1_500_000))
    for folder in ("eliminator", "extras"):
        os.makedirs(os.path.join(root, folder))
        for index in range(3):
            write_text(os.path.join(root, folder, f"note{index}.txt"), rng, 2000)


def s2(root, rng, quick):
    """Many small files, flat: 1,000 of 4-64 KB."""
    for index in range(200 if quick else 1000):
        write_random(os.path.join(root, f"file{index:04d}.bin"), rng,
                     rng.randint(4_000, 64_000))


def s3(root, rng, quick):
    """Two large files (200 MB each; 32 MB in quick mode: fetchall splits only files
    of at least twice its --min-split-size, 10 MiB)."""
    size = QUICK_S3_SIZE if quick else 200_000_000
    for index in (1, 2):
        write_random(os.path.join(root, f"large{index}.bin"), rng, size)


def s4(root, rng, quick):
    """A 3-level tree of about 400 files (about 100 in quick mode)."""
    top_files, dirs, subdirs, leaf_files = (5, 2, 2, 10) if quick else (10, 4, 3, 29)
    for index in range(top_files):
        write_random(os.path.join(root, f"top{index:02d}.dat"), rng, rng.randint(4_000, 128_000))
    for d in range(dirs):
        folder = os.path.join(root, f"dir{d}")
        os.makedirs(folder)
        for index in range(top_files):
            write_random(os.path.join(folder, f"mid{index:02d}.dat"), rng,
                         rng.randint(4_000, 128_000))
        for s in range(subdirs):
            leaf = os.path.join(folder, f"sub{s}")
            os.makedirs(leaf)
            for index in range(leaf_files):
                write_random(os.path.join(leaf, f"leaf{index:02d}.dat"), rng,
                             rng.randint(4_000, 128_000))


def s6(root, _rng, _quick, files):
    """`files` tiny files (a few bytes each, like bench/scale.py's tree) in 100
    folders: the per-file cost and nothing else."""
    per_folder = max(1, files // 100)
    for folder in range(100):
        path = os.path.join(root, f"d{folder:03d}")
        os.makedirs(path)
        for index in range(per_folder):
            with open(os.path.join(path, f"f{index:05d}.txt"), "wb") as file:
                file.write(f"{folder} {index}\n".encode())


def big(root, rng, quick):
    """One 4 GB file, for the memory check (256 MB in quick mode)."""
    write_random(os.path.join(root, "huge.bin"), rng, 256_000_000 if quick else 4_000_000_000)


RECIPES = {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "s6": s6, "big": big}


def hash_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        # One read for a small file (most of S6's 100,000 checks).
        block = file.read(1 << 16)
        digest.update(block)
        if len(block) == 1 << 16:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def scan(root):
    """{relative path: (size, sha256)} of every regular file under `root`."""
    result = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            result[os.path.relpath(path, root)] = (os.path.getsize(path), hash_file(path))
    return result


def ensure(www, name, quick, log=print, files=None):
    """Makes sure the corpus `name` exists under `www`; returns its manifest:
    {relative path: [size, sha256]}. `files` is S6's file count."""
    root = os.path.join(www, name)
    manifest_path = os.path.join(www, name + ".manifest.json")
    recipe = {"version": RECIPE_VERSION, "name": name, "quick": quick}
    if files is not None:
        recipe["files"] = files
    if name == "s3" and quick:
        recipe["size"] = QUICK_S3_SIZE
    try:
        with open(manifest_path, encoding="utf-8") as file:
            saved = json.load(file)
        if saved["recipe"] == recipe and os.path.isdir(root):
            return saved["files"]
    except (OSError, ValueError, KeyError):
        pass
    log(f"generating corpus {name}{' (quick)' if quick else ''} in {root}")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    seed = f"fetchall-bench/{RECIPE_VERSION}/{name}/{quick}"
    extra = () if files is None else (files,)
    RECIPES[name](root, random.Random(seed), quick, *extra)
    files = {path: list(entry) for path, entry in scan(root).items()}
    with open(manifest_path, "w", encoding="utf-8") as file:
        json.dump({"recipe": recipe, "files": files}, file, indent=0, sort_keys=True)
    return files


def top_level(manifest):
    """The files a flat (non-recursive) download of the corpus must produce."""
    return {path: entry for path, entry in manifest.items() if os.sep not in path}
