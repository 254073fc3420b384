#!/usr/bin/env python3
"""Seed corpora for the rpm fuzz targets, built from real rpm databases.

Called by scripts/fuzz as `rpm_seeds.py CORPUS_DIR FILE...`, where each FILE
is a real rpm database (sqlite, BerkeleyDB hash or ndb; `.xz` and `.sql.xz`
SQL dumps are unpacked first). Writes content-named seeds into
CORPUS_DIR/{rpm_header,rpm_bdb,rpm_ndb,rpm_read_headers,rpm_sqlite}/:

* rpm_header: the real header blobs (the smaller ones, up to MAX_HEADER bytes);
* rpm_bdb / rpm_ndb: small BerkeleyDB hash and ndb files rebuilt around a few
  real blobs (both byte orders, several page sizes, inline and overflow
  values), plus the real files and page-aligned cuts of them;
* rpm_sqlite: small rpmdb.sqlite files holding a few real blobs, with rpm's
  schema and with hostile variants (views, generated columns, WITHOUT ROWID,
  WAL header, wrong column types);
* rpm_read_headers: the bdb and ndb seeds together.

Only the standard library is used.
"""

import hashlib
import itertools
import lzma
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

MAX_HEADER = 64 << 10   # rpm_header -max_len
MAX_DB = 128 << 10      # rpm_bdb / rpm_ndb / rpm_read_headers -max_len
MAX_SQLITE = 64 << 10   # rpm_sqlite -max_len

OUT = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="uproot-rpm-seeds")
counts = {}
_names = itertools.count()


def tmpfile(kind):
    return os.path.join(TMP, "%s-%d.sqlite" % (kind, next(_names)))


def seed(target, data, limit):
    if not data or len(data) > limit:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


def open_sqlite(path):
    """A private writable copy, so WAL/shm files never land beside the original."""
    copy = tmpfile("copy")
    shutil.copyfile(path, copy)
    return sqlite3.connect(copy), copy


# ---------------------------------------------------------------- blob sources

def blobs_from_sqlite(conn):
    try:
        return [(int(h), bytes(b)) for h, b in conn.execute("SELECT hnum, blob FROM Packages")]
    except sqlite3.Error:
        return []


def blobs_from_ndb(data):
    out = []
    if data[:4] != b"RpmP":
        return out
    pages = struct.unpack_from("<I", data, 12)[0]
    for off in range(32, min(pages * 4096, len(data)), 16):
        magic, pkg, block, blocks = struct.unpack_from("<4sIII", data, off)
        if magic != b"Slot" or pkg == 0:
            continue
        start = block * 16
        if data[start:start + 4] != b"BlbS":
            continue
        length = struct.unpack_from("<I", data, start + 12)[0]
        out.append((pkg, data[start + 16:start + 16 + length]))
    return out


def collect(paths):
    blobs = {}
    for p in paths:
        raw = None
        if p.endswith(".sql.xz"):
            db = tmpfile("sql")
            conn = sqlite3.connect(db)
            conn.executescript(lzma.open(p).read().decode())
            conn.commit()
            found = blobs_from_sqlite(conn)
            conn.close()
        elif p.endswith(".xz"):
            raw = lzma.open(p).read()
            db = tmpfile("xz")
            with open(db, "wb") as f:
                f.write(raw)
            found = blobs_from_sqlite(sqlite3.connect(db))
        else:
            with open(p, "rb") as f:
                raw = f.read()
            if raw.startswith(b"SQLite format 3\0"):
                found = blobs_from_sqlite(open_sqlite(p)[0])
            elif raw.startswith(b"RpmP"):
                found = blobs_from_ndb(raw)
            else:
                found = []  # BerkeleyDB: used whole below, blobs come from the others
        for inst, b in found:
            if b:
                blobs.setdefault(b, inst)
        yield p, raw
    collect.blobs = sorted(((i, b) for b, i in blobs.items()), key=lambda x: len(x[1]))


# ---------------------------------------------------------------- builders

def bdb(records, big_endian=False, page_size=4096, inline_max=0, counter=True):
    """A BerkeleyDB hash file like rpm's: one hash page, values off-page in
    overflow chains (or inline when no longer than inline_max)."""
    e = ">" if big_endian else "<"
    w16 = lambda v: struct.pack(e + "H", v)
    w32 = lambda v: struct.pack(e + "I", v)
    pages = [bytearray(page_size), bytearray(page_size)]
    items = []
    if counter:
        items += [b"\x01" + w32(0), b"\x01" + w32(len(records) + 1)]
    for inst, blob in records:
        key = b"\x01" + w32(inst)
        if len(blob) <= inline_max:
            items += [key, b"\x01" + blob]
            continue
        first = len(pages)
        chunks = [blob[i:i + page_size - 26] for i in range(0, len(blob), page_size - 26)]
        for i, c in enumerate(chunks):
            p = bytearray(page_size)
            nxt = first + i + 1 if i + 1 < len(chunks) else 0
            p[8:12] = w32(first + i)
            p[16:20] = w32(nxt)
            p[20:22] = w16(1)
            p[22:24] = w16(len(c))
            p[25] = 7
            p[26:26 + len(c)] = c
            pages.append(p)
        items += [key, b"\x03\0\0\0" + w32(first) + w32(len(blob))]
    hp = pages[1]
    hp[8:12] = w32(1)
    hp[20:22] = w16(len(items))
    hp[25] = 13
    top = page_size
    for i, it in enumerate(items):
        top -= len(it)
        if top < 26 + 2 * len(items):
            return None
        hp[top:top + len(it)] = it
        hp[26 + 2 * i:28 + 2 * i] = w16(top)
    hp[22:24] = w16(top)
    meta = pages[0]
    meta[12:16] = w32(0x061561)
    meta[16:20] = w32(9)
    meta[20:24] = w32(page_size)
    meta[25] = 8
    meta[32:36] = w32(len(pages) - 1)
    meta[96:100] = w32(1)
    return b"".join(pages)


def ndb(records, generation=1):
    """An ndb Packages.db: one 4 KiB slot page, blobs in 16-byte blocks after it."""
    slots = bytearray()
    body = bytearray()
    block = 4096 // 16
    for inst, blob in records:
        ext = struct.pack("<4sIII", b"BlbS", inst, generation, len(blob)) + blob + b"\0" * 12
        ext += b"\0" * (-len(ext) % 16)
        slots += struct.pack("<4sIII", b"Slot", inst, block, len(ext) // 16)
        body += ext
        block += len(ext) // 16
    head = struct.pack("<4sIII", b"RpmP", 0, generation, 1) + b"\0" * 16
    free = struct.pack("<4sIII", b"Slot", 0, 0, 0)
    area = head + slots
    area += free * ((4096 - len(area)) // 16)
    return bytes(area) + bytes(body)


def sqlite_db(records, page_size=512, schema=None, wal=False, extra=None, vacuum=True):
    path = tmpfile("gen")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size=%d" % page_size)
    conn.executescript(schema or
                       "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);")
    for inst, blob in records:
        try:
            conn.execute("INSERT INTO Packages (hnum, blob) VALUES (?, ?)", (inst, blob))
        except sqlite3.Error:
            break
    if extra:
        conn.executescript(extra)
    conn.commit()
    if vacuum:
        conn.execute("VACUUM")
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(path, "rb") as f:
        return f.read()


def shrink_sqlite(path):
    """The real database (rpm's own schema and indexes), cut down to its two
    smallest packages with 512-byte pages."""
    conn, copy = open_sqlite(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        keep = [r[0] for r in conn.execute("SELECT hnum FROM Packages ORDER BY length(blob) LIMIT 2")]
        conn.execute("DELETE FROM Packages WHERE hnum NOT IN (%s)" % ",".join(map(str, keep or [0])))
        for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('Packages','sqlite_sequence')").fetchall():
            conn.execute('DELETE FROM "%s"' % t.replace('"', '""'))
        conn.commit()
        conn.execute("PRAGMA page_size=512")
        conn.execute("VACUUM")
        conn.close()
    except sqlite3.Error:
        return None
    with open(copy, "rb") as f:
        return f.read()


def main():
    real = []
    for path, raw in collect(sys.argv[2:]):
        real.append((path, raw))
    blobs = collect.blobs
    small = [b for b in blobs if len(b[1]) <= 6000]
    print("rpm seeds: %d distinct real header blobs (%d small)" % (len(blobs), len(small)))

    # rpm_header: real blobs, smallest first, plus a spread of sizes.
    picked = blobs[:60] + blobs[60::max(1, len(blobs) // 40)]
    for _, b in picked:
        seed("rpm_header", b, MAX_HEADER)

    def both(data):
        if data:
            kind = "rpm_ndb" if data.startswith(b"RpmP") else "rpm_bdb"
            seed(kind, data, MAX_DB)
            seed("rpm_read_headers", data, MAX_DB)

    # Real files and page-aligned cuts of them.
    for path, raw in real:
        if raw is None or raw.startswith(b"SQLite format 3\0"):
            continue
        both(raw)
        for cut in (8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10):
            if cut < len(raw):
                both(raw[:cut])

    # Rebuilt files around a few real blobs.
    few = [small[i] for i in range(0, len(small), max(1, len(small) // 6))][:6] or blobs[:3]
    for n in (1, 2, len(few)):
        recs = few[:n]
        for be in (False, True):
            for ps in (512, 4096):
                both(bdb(recs, be, ps))
            both(bdb(recs, be, 4096, inline_max=3000))
        both(bdb(recs, False, 65536 if sum(len(b) for _, b in recs) < 60000 else 4096))
        both(ndb(recs))
    both(bdb(few[:2], False, 1024, counter=False))
    both(ndb([]))

    # rpm_sqlite: small databases holding real blobs, then hostile shapes.
    one, two = few[:1], few[:2]
    for recs, ps in ((one, 512), (two, 512), (two, 1024), (one, 4096), (few[:4], 512)):
        seed("rpm_sqlite", sqlite_db(recs, ps), MAX_SQLITE)
    seed("rpm_sqlite", sqlite_db([], 512), MAX_SQLITE)
    seed("rpm_sqlite", sqlite_db(two, 512, wal=True), MAX_SQLITE)
    seed("rpm_sqlite", sqlite_db([(i + 1, b"\0\0\0\1\0\0\0\0" + bytes(16)) for i in range(150)], 512), MAX_SQLITE)
    seed("rpm_sqlite", sqlite_db(one, 512, extra="PRAGMA auto_vacuum=INCREMENTAL;"), MAX_SQLITE)
    hostile = [
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL) WITHOUT ROWID;",
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, b BLOB, blob BLOB GENERATED ALWAYS AS (b) VIRTUAL);",
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, b BLOB, blob BLOB GENERATED ALWAYS AS (zeroblob(1000000)) STORED);",
        "CREATE TABLE P (hnum INTEGER PRIMARY KEY, blob BLOB); CREATE VIEW Packages AS SELECT hnum, blob FROM P;",
        "CREATE TABLE Packages (hnum TEXT, blob TEXT);",
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL, extra TEXT);"
        "CREATE INDEX pi ON Packages(blob);",
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);"
        "CREATE TRIGGER t AFTER INSERT ON Packages BEGIN SELECT 1; END;",
        "CREATE TABLE Packages (hnum INTEGER, blob);",
        "CREATE TABLE Other (x);",
    ]
    for schema in hostile:
        seed("rpm_sqlite", sqlite_db(two, 512, schema=schema), MAX_SQLITE)
    seed("rpm_sqlite", sqlite_db([], 512, extra="INSERT INTO Packages VALUES (1, x''); INSERT INTO Packages VALUES (-5, x'00');"
                                 "INSERT INTO Packages VALUES (9223372036854775807, zeroblob(3000));"), MAX_SQLITE)
    for path, raw in real:
        if raw is not None and raw.startswith(b"SQLite format 3\0"):
            seed("rpm_sqlite", shrink_sqlite(path), MAX_SQLITE)
            seed("rpm_sqlite", raw, MAX_SQLITE)
            seed("rpm_read_headers", raw[:4096], MAX_DB)

    shutil.rmtree(TMP, ignore_errors=True)
    for t in sorted(counts):
        print("rpm seeds: %-18s +%d" % (t, counts[t]))


if __name__ == "__main__":
    main()
