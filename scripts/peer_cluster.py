#!/usr/bin/env python3
"""Peer for the clustering benchmark: the multi-input heuristic with the BlockSci/GraphSense CoinJoin rule, written
independently in Python over the same FlowTrace store (inputs and outputs read with sqlite3). Like FlowTrace it keeps
its result — each clustered address's cluster and every merge with its transaction, indexed for lookups by cluster
and by either address — in SQLite (a separate file next to the store), and it is timed with and without that step.
Its clusters are then compared with the ones `flowtrace cluster` stored. With an owners file (hash160,wallet) from make-btc-etl-fixture it also checks
that no cluster mixes two wallets. Prints the peer's time and the comparison.
Usage: peer_cluster.py STORE [OWNERS.csv]
"""
import hashlib, sqlite3, sys, time
from collections import Counter, defaultdict

db = sqlite3.connect(sys.argv[1])
started = time.perf_counter()
parent = {}
def find(x):
    while parent.get(x, x) != x:
        p = parent[x]; gp = parent.get(p, p); parent[x] = gp; x = gp
    return x
merges = []
def union(a, b, tx):
    ra, rb = find(a), find(b)
    if ra != rb:
        lo, hi = min(ra, rb), max(ra, rb)
        parent[hi] = lo; parent.setdefault(lo, lo)
        merges.append((a, b, tx))

def is_coinjoin(inputs, distinct, values):
    # BlockSci's isCoinjoin: the generator's CoinJoins are of this shape.
    if inputs < 2 or len(values) < 3: return False
    participants = (len(values) + 1) // 2
    if participants > inputs or participants > distinct: return False
    counts = Counter(values)
    value, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return count == participants and value not in (546, 2730)

outputs = defaultdict(list)
for tx, value in db.execute("SELECT tx_id, value FROM outputs"):
    outputs[tx].append(value)
inputs = defaultdict(list)
for tx, address in db.execute("SELECT tx_id, address_id FROM inputs"):
    inputs[tx].append(address)
skipped = 0
for tx, addrs in inputs.items():
    known = [a for a in addrs if a is not None]
    distinct = list(dict.fromkeys(known))
    if len(distinct) < 2: continue
    if is_coinjoin(len(addrs), len(distinct) + (len(addrs) - len(known)), outputs[tx]):
        skipped += 1; continue
    for other in distinct[1:]: union(distinct[0], other, tx)
peer = {a: find(a) for a in parent}
computed = time.perf_counter() - started

import os
out_path = sys.argv[1] + ".peer"
for suffix in ("", "-wal", "-shm", "-journal"):
    if os.path.exists(out_path + suffix): os.remove(out_path + suffix)
out = sqlite3.connect(out_path)
out.execute("PRAGMA journal_mode=WAL"); out.execute("PRAGMA synchronous=NORMAL")
with out:
    out.execute("CREATE TABLE members(address_id INTEGER PRIMARY KEY, cluster_id INTEGER NOT NULL)")
    out.execute("CREATE TABLE merges(id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL, b_id INTEGER NOT NULL, tx_id INTEGER NOT NULL)")
    out.executemany("INSERT INTO members VALUES (?, ?)", sorted(peer.items()))
    out.executemany("INSERT INTO merges(a_id, b_id, tx_id) VALUES (?, ?, ?)", merges)
    out.execute("CREATE INDEX members_cluster ON members(cluster_id)")
    out.execute("CREATE INDEX merges_a ON merges(a_id)"); out.execute("CREATE INDEX merges_b ON merges(b_id)")
out.close()
elapsed = time.perf_counter() - started
ours = dict(db.execute("SELECT address_id, cluster_id FROM cluster_members"))
same = peer == ours
print(f"python peer cluster: {elapsed:.2f} s ({computed:.2f} s before writing its result), {len(set(peer.values()))} clusters "
      f"of {len(peer)} addresses, {len(merges)} merges, {skipped} CoinJoins skipped")
print(f"flowtrace clusters {'equal' if same else 'DIFFER from'} the peer's ({len(set(ours.values()))} clusters of {len(ours)} addresses)")

if len(sys.argv) > 2:
    owner = {}
    with open(sys.argv[2]) as f:
        next(f)
        for line in f:
            h, w = line.strip().split(","); owner[h] = int(w)
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    def hash160(address):
        n = 0
        for c in address: n = n * 58 + alphabet.index(c)
        return n.to_bytes(25, "big")[1:21].hex()
    texts = dict(db.execute("SELECT id, address FROM addresses WHERE id IN (SELECT address_id FROM cluster_members)"))
    wallets = defaultdict(set)
    for a, c in ours.items(): wallets[c].add(owner.get(hash160(texts[a])))
    mixed = sum(1 for ws in wallets.values() if len(ws) > 1)
    print(f"clusters mixing two wallets: {mixed} of {len(wallets)}")
    if mixed: sys.exit(1)
if not same: sys.exit(1)
