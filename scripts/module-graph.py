#!/usr/bin/env python3
"""Which src/ file depends on which, and the import cycles between them.

Counts `use crate::…` lines, inline `crate::…` paths and `impl` blocks for a type
defined in another file (issue 12: "no import cycle between files"), every use of a
folder above the own one (FLOORS, the order of README "Where things live"), and
files over 500 lines above their tests. Exit 1 if any is found.

    python3 scripts/module-graph.py [--edges]
"""
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
LIMIT = 500
# Folders from the top floor down (README "Where things live"): a file may use files
# of its own folder and of folders after its own, never of a folder before it.
FLOORS = ['engine', 'transfer', 'disk', 'plan', 'select', 'listing', 'ftp', 'http', 'pace',
          'event', 'checksum', 'error']


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ('mod', 'lib', 'main'):
        parts = parts[:-1]
    return '::'.join(parts)


def non_test(text):
    """The text above the file's `#[cfg(test)] mod tests`, comments removed."""
    cut = re.search(r'^#\[cfg\(test\)\]\s*\nmod tests', text, re.M)
    body = text[:cut.start()] if cut else text
    return body, re.sub(r'//[^\n]*', '', body)


def expand_use(text):
    """Every full `crate::a::b` path, with `use crate::{a::{b, c}, d}` groups expanded."""
    paths = []
    for m in re.finditer(r'\bcrate((?:::[A-Za-z_][A-Za-z0-9_]*)*)(::\{)?', text):
        if m.group(2):
            depth, j = 1, m.end()
            while depth and j < len(text):
                depth += {'{': 1, '}': -1}.get(text[j], 0)
                j += 1
            paths += expand_group('crate' + m.group(1), text[m.end():j - 1])
        else:
            paths.append('crate' + m.group(1))
    return paths


def expand_group(prefix, inner):
    items, depth, cur = [], 0, ''
    for ch in inner:
        depth += {'{': 1, '}': -1}.get(ch, 0)
        if ch == ',' and depth == 0:
            items.append(cur)
            cur = ''
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        m = re.match(r'([A-Za-z0-9_:]*?)(?:::)?\{(.*)\}$', item, re.S)
        if m:
            out += expand_group(prefix + ('::' + m.group(1) if m.group(1) else ''), m.group(2))
        else:
            out.append(prefix + '::' + item.split(' as ')[0])
    return out


def main():
    files = {}
    for root, _, names in os.walk(SRC):
        for name in names:
            if name.endswith('.rs') and root != SRC or name in ('lib.rs', 'error.rs'):
                if name.endswith('.rs'):
                    files[module_of(os.path.join(root, name))] = os.path.join(root, name)
    files.pop('', None)  # lib.rs: only the module list and re-exports
    if os.path.isdir(os.path.join(SRC, 'cli')):
        files = {m: p for m, p in files.items() if not m.startswith('cli')}
    texts = {m: non_test(open(p, encoding='utf-8').read()) for m, p in files.items()}
    # Types defined per file, for `impl Type` blocks in other files.
    defined = {}
    for m, (_, code) in texts.items():
        for t in re.findall(r'\b(?:struct|enum|trait|type)\s+([A-Z][A-Za-z0-9_]*)', code):
            defined.setdefault(t, set()).add(m)
    edges = {m: set() for m in files}
    for m, (_, code) in texts.items():
        for path in expand_use(code):
            parts = path.split('::')[1:]
            # the longest prefix that names a file
            for k in range(len(parts), 0, -1):
                target = '::'.join(parts[:k])
                if target in files:
                    if target != m and not m.startswith(target + '::') or target != m and parts[k - 1:]:
                        if target != m:
                            edges[m].add(target)
                    break
        for t in re.findall(r'^\s*impl(?:<[^>]*>)?\s+(?:[A-Za-z_:]+\s+for\s+)?([A-Z][A-Za-z0-9_]*)', code, re.M):
            owners = defined.get(t, set())
            if owners and m not in owners and len(owners) == 1:
                edges[m] |= owners
    # Tarjan's strongly connected components
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(files):
        if v not in index:
            visit(v)
    if '--edges' in sys.argv:
        for m in sorted(edges):
            print(f'{m} -> {", ".join(sorted(edges[m]))}')
    bad = False
    for comp in sccs:
        bad = True
        inner = {m: sorted(edges[m] & set(comp)) for m in comp}
        print('cycle:', '; '.join(f'{m} -> {", ".join(t)}' for m, t in inner.items()))
    floor = {f: i for i, f in enumerate(FLOORS)}
    for m in sorted(edges):
        for t in sorted(edges[m]):
            a, b = floor.get(m.split('::')[0]), floor.get(t.split('::')[0])
            if a is not None and b is not None and b < a:
                bad = True
                print(f'upward: {m} uses {t}, a floor above it')
    for m, (body, _) in sorted(texts.items()):
        n = body.count('\n')
        if n > LIMIT:
            bad = True
            print(f'long: {os.path.relpath(files[m], os.path.join(SRC, ".."))} has {n} lines above its tests')
    if not bad:
        print(f'{len(files)} files, no import cycle, no use of a floor above, none over {LIMIT} lines above its tests')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
