"""A byte-level BPE tokenizer in the Florence-2 (BART) layout, small enough for the demo model.

The vocabulary is the four BART specials, the Florence-2 added special tokens (task tags and
`<loc_0>`..`<loc_999>`), then one token per byte in GPT-2's byte-to-unicode alphabet, then (optionally)
one token per BPE merge. With no merges every byte of plain text is one token; with merges, text is
split by GPT-2's pre-tokenizer pattern and each piece merged by rank, as HF `tokenizers` (what
transformers.js runs) does; `test/training/florence2_layout.test.ts` checks that both give the same ids.
`learn_merges` learns merges from texts (the refinement trainer's `--bpe-merges`).

Ids are looked up by name from the vocabulary; nothing outside `build_vocab` knows where a token sits.
"""
from __future__ import annotations

import collections
import json
import re
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence, Tuple

BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
# docs/florence2-formats.md section 2, in the real tokenizer's order (the misspelling is the real token's).
FLORENCE2_TAGS = [
    "<od>", "</od>", "<ocr>", "</ocr>",
    "<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>",
    "<seg>", "</seg>", "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>",
    "</region_to_desciption>", "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>",
]
NUM_LOC_BINS = 1000
MASK = "<mask>"
# HF ByteLevel's pattern (GPT-2's: `'s|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`) in Python's
# `re`, which has no \p{..}: letters are word characters that are not digits or `_`. Only non-decimal
# number characters (`½`, `²`) split differently, as letters; the demo world writes none.
PRE_TOKEN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
Merge = Tuple[str, str]


@lru_cache(maxsize=1)
def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable character map (the one HF ByteLevel uses)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def special_tokens() -> List[str]:
    return BART_SPECIALS + FLORENCE2_TAGS + [f"<loc_{i}>" for i in range(NUM_LOC_BINS)] + [MASK]


def build_vocab() -> Dict[str, int]:
    vocab: Dict[str, int] = {}
    for tok in special_tokens():
        vocab[tok] = len(vocab)
    for b in range(256):
        vocab[bytes_to_unicode()[b]] = len(vocab)
    return vocab


def byte_pieces(text: str) -> List[str]:
    """The pre-tokenizer's pieces of plain `text` (no added tokens), in the byte-to-unicode alphabet."""
    b2u = bytes_to_unicode()
    return ["".join(b2u[b] for b in w.encode("utf-8")) for w in PRE_TOKEN.findall(text)]


def merge_pair(parts: List[str], pair: Merge) -> List[str]:
    """`parts` with every non-overlapping occurrence of `pair`, left to right, joined into one."""
    out: List[str] = []
    i = 0
    while i < len(parts):
        if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
            out.append(parts[i] + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


class ByteTokenizer:
    """Encodes like HF tokenizers with this vocabulary: added tokens matched leftmost-longest, the
    rest as UTF-8 bytes (merged by the BPE merges, if any), wrapped in `<s>` ... `</s>`
    (RobertaProcessing, as BART's tokenizer does)."""

    def __init__(self, vocab: Dict[str, int], added: Iterable[str], merges: Sequence[Merge] = ()):
        self.vocab = dict(vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.added = sorted(set(added), key=len, reverse=True)
        self._added_set = set(self.added)
        b2u = bytes_to_unicode()
        self._byte_ids = [self.vocab[b2u[b]] for b in range(256)]
        u2b = {c: b for b, c in b2u.items()}
        # every plain (not added) token -> its bytes: one byte, or a merge's
        self._bytes_of = {i: bytes(u2b[c] for c in t) for t, i in self.vocab.items()
                          if t not in self._added_set and all(c in u2b for c in t)}
        self.merges: List[Merge] = [tuple(m) for m in merges]
        for a, b in self.merges:
            if a + b not in self.vocab:
                raise ValueError(f"merge {a!r} {b!r}: {a + b!r} is not in the vocabulary")
        self._rank = {m: r for r, m in enumerate(self.merges)}
        self._bpe_cache: Dict[str, List[str]] = {}
        self.bos_id = self.vocab["<s>"]
        self.pad_id = self.vocab["<pad>"]
        self.eos_id = self.vocab["</s>"]
        self.unk_id = self.vocab["<unk>"]

    @classmethod
    def default(cls) -> "ByteTokenizer":
        return cls(build_vocab(), special_tokens())

    @classmethod
    def from_file(cls, path: str) -> "ByteTokenizer":
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec.get("model", {})
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: expected a byte-level BPE tokenizer, got type={model.get('type')!r}")
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model.get("merges") or []]
        return cls(model["vocab"], [t["content"] for t in spec.get("added_tokens", [])], merges)

    def with_merges(self, merges: Sequence[Merge]) -> "ByteTokenizer":
        """This vocabulary plus one token per new merge, appended (existing ids keep their tokens)."""
        vocab = dict(self.vocab)
        for a, b in merges:
            vocab.setdefault(a + b, len(vocab))
        return ByteTokenizer(vocab, self._added_set, list(self.merges) + list(merges))

    def plain_words(self, text: str) -> List[str]:
        """The pre-tokenizer's pieces of `text` outside added tokens, in the byte-to-unicode alphabet."""
        return [w for part in self._split(text) if part not in self._added_set for w in byte_pieces(part)]

    def bpe(self, word: str) -> List[str]:
        """GPT-2's merge loop: the lowest-ranked adjacent pair, every occurrence left to right, until none."""
        hit = self._bpe_cache.get(word)
        if hit is not None:
            return hit
        parts = list(word)
        while len(parts) > 1:
            rank, pair = min((self._rank.get(p, len(self._rank)), p) for p in zip(parts, parts[1:]))
            if rank == len(self._rank):
                break
            parts = merge_pair(parts, pair)
        self._bpe_cache[word] = parts
        return parts

    def __len__(self) -> int:
        return len(self.vocab)

    def token_id(self, token: str) -> int:
        if token not in self.vocab:
            raise KeyError(f"token {token!r} is not in the vocabulary")
        return self.vocab[token]

    def loc_id(self, n: int) -> int:
        return self.token_id(f"<loc_{n}>")

    def _split(self, text: str) -> List[str]:
        """Leftmost-longest split on added tokens, as tokenizers' AddedVocabulary does."""
        parts: List[str] = []
        start = i = 0
        while i < len(text):
            hit = None
            if text[i] == "<":
                for tok in self.added:
                    if text.startswith(tok, i):
                        hit = tok
                        break
            if hit is None:
                i += 1
                continue
            if start < i:
                parts.append(text[start:i])
            parts.append(hit)
            i += len(hit)
            start = i
        if start < len(text):
            parts.append(text[start:])
        return parts

    def encode(self, text: str, add_special_tokens: bool = True) -> List[int]:
        ids: List[int] = [self.bos_id] if add_special_tokens else []
        for part in self._split(text):
            if part in self._added_set:
                ids.append(self.vocab[part])
            elif not self.merges:
                ids.extend(self._byte_ids[b] for b in part.encode("utf-8"))
            else:
                ids.extend(self.vocab[t] for w in byte_pieces(part) for t in self.bpe(w))
        if add_special_tokens:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = False) -> str:
        out: List[str] = []
        pending = bytearray()
        for i in ids:
            i = int(i)
            if i in self._bytes_of:
                pending.extend(self._bytes_of[i])
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
            tok = self.inv.get(i)
            if tok is None:
                raise KeyError(f"token id {i} is outside the vocabulary of {len(self.vocab)}")
            if skip_special_tokens and tok in self._added_set:
                continue
            out.append(tok)
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)

    def to_hf_json(self) -> dict:
        """The tokenizer.json (HF tokenizers format) that transformers.js loads."""
        added = [
            {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in sorted(self._added_set, key=lambda t: self.vocab[t])
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", self.eos_id], "cls": ["<s>", self.bos_id],
                               "trim_offsets": True, "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def tokenizer_config(self, max_length: int) -> dict:
        extra = [t for t in sorted(self._added_set, key=lambda t: self.vocab[t]) if t not in BART_SPECIALS + [MASK]]
        return {
            "tokenizer_class": "BartTokenizer",
            "model_max_length": max_length,
            "add_prefix_space": False,
            "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
            "cls_token": "<s>", "sep_token": "</s>", "mask_token": MASK,
            "additional_special_tokens": extra,
            "clean_up_tokenization_spaces": False,
        }


def learn_merges(tok: ByteTokenizer, texts: Iterable[str], count: int, min_frequency: int = 2) -> List[Merge]:
    """Up to `count` BPE merges on top of `tok`'s, learned from `texts` (added tokens such as `<loc_N>`
    left out): each time the most frequent adjacent pair within a pre-tokenized piece (ties: the
    smaller pair), until no pair occurs `min_frequency` times. Deterministic for the same texts."""
    freq = collections.Counter(w for t in texts for w in tok.plain_words(t))
    words = {w: tok.bpe(w) for w in freq}
    merges: List[Merge] = []
    while len(merges) < count:
        pairs: Dict[Merge, int] = collections.Counter()
        for w, parts in words.items():
            for p in zip(parts, parts[1:]):
                pairs[p] += freq[w]
        if not pairs:
            break
        pair, n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_frequency:
            break
        merges.append(pair)
        for w, parts in words.items():
            if len(parts) < 2 or pair[0] not in parts:
                continue
            words[w] = merge_pair(parts, pair)
    return merges


def main(argv: List[str]) -> int:
    """`tokenizer.py TOKENIZER_JSON [--prompt] < lines.jsonl`: prints the ids of each JSON string, one
    JSON list a line. With --prompt each string is a task prefix (`<OD>`, `<REGION_TO_DESCRIPTION><loc_1>...`)
    turned into the processor's prompt first, with the maps from the folder's preprocessor_config.json.
    `tokenizer.py learn TOKENIZER_JSON N OUT_JSON < lines.jsonl`: writes TOKENIZER_JSON plus up to N
    merges learned from the JSON strings to OUT_JSON."""
    import os
    import sys

    from .config import construct_prompt
    if argv[0] == "learn":
        base = ByteTokenizer.from_file(argv[1])
        texts = [json.loads(line) for line in sys.stdin if line.strip()]
        tok = base.with_merges(learn_merges(base, texts, int(argv[2])))
        with open(argv[3], "w", encoding="utf-8") as f:
            json.dump(tok.to_hf_json(), f, ensure_ascii=False)
        print(json.dumps({"merges": len(tok.merges), "vocab": len(tok)}))
        return 0
    tok = ByteTokenizer.from_file(argv[0])
    pre = None
    if "--prompt" in argv[1:]:
        with open(os.path.join(os.path.dirname(argv[0]), "preprocessor_config.json"), encoding="utf-8") as f:
            pre = json.load(f)
    for line in sys.stdin:
        if line.strip():
            text = json.loads(line)
            print(json.dumps(tok.encode(construct_prompt(text, pre) if pre is not None else text)))
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(main(sys.argv[1:]))
