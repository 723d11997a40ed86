"""Derive qcflow's copy of O2's MCH electronics mapping (``src/qcflow/data/mch-elecmap-o2.json``)
from the mapping sources of an AliceO2 checkout.

    python tools/derive_mch_elecmap.py O2_CHECKOUT [-o src/qcflow/data/mch-elecmap-o2.json]

Only these files of the checkout are read (a partial checkout is enough, e.g.
``git archive <commit> Detectors/MUON/MCH/Mapping/Impl4/src | tar -x -C O2_CHECKOUT``):

- ``Detectors/MUON/MCH/Mapping/Impl4/src/CathodeSegmentationCImpl4.cxx``: the detection elements
  (DE) in the order of ``forEachDetectionElement``;
- ``.../GenDetElemId2SegType.cxx``: the segmentation type of each DE;
- ``.../GenCathodeSegmentationCreatorForSegType<N>.cxx``: per segmentation type and cathode
  (bending first), the pad groups ``{dual-SAMPA id, pad group type, pad size, x, y}`` and the pad
  group types ``{nx, ny, {channel of each pad position, -1: no pad}}``.

The facts derived: for each dual-SAMPA board (DS), its DE, its DS id and the channels (0-63)
connected to a pad -- the union of the non-negative channel ids of the DS's pad groups. Boards
are listed in O2's ``DsIndex`` order (``MCHGlobalMapping/src/DsIndex.cxx``): DEs in the order
above, and within a DE the DS ids sorted ascending (bending ids < 1024 <= non-bending ids).
The script checks the board count O2 states (``NumberOfDualSampas`` = 16,820 in
``MCHGlobalMapping/DsIndex.h``). Impl4 -- the implementation ``MCHGlobalMapping`` and QC's MCH
module link -- has 1,063,528 pads: its segmentation type 1 (DEs 300-303, 400-403) has no
non-bending DS 1269 (60 pads), which Impl3 and O2's older pad-count tests (1,064,008) still have.
O2 is GPL-3 (as qcflow); the output names the commit it was derived from (``--commit``).

Run for qcflow's data file (O2 commit 60060b0bc490b662f4356caf95c131f2e6732040)::

    git -C AliceO2 archive 60060b0bc4 Detectors/MUON/MCH/Mapping/Impl4/src | tar -x -C /tmp/o2
    python tools/derive_mch_elecmap.py /tmp/o2 --commit 60060b0bc490b662f4356caf95c131f2e6732040
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

SRC = Path("Detectors/MUON/MCH/Mapping/Impl4/src")
BOARDS = 16820
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_INTS = re.compile(r"-?\d+")


def _array(text: str, name: str) -> list[int]:
    """The integers of ``name{ ... }`` (a C++ std::array initialiser)."""
    match = re.search(rf"{name}\s*\{{([^}}]*)\}}", text)
    if not match:
        sys.exit(f"no array {name!r} found")
    return [int(v) for v in _INTS.findall(match.group(1))]


def detection_elements(src: Path) -> list[tuple[int, int]]:
    """(DE id, segmentation type) in ``forEachDetectionElement`` order."""
    c_impl = _COMMENT.sub("", (src / "CathodeSegmentationCImpl4.cxx").read_text())
    body = c_impl.split("mchCathodeSegmentationForEachDetectionElement", 1)[1]
    order = [int(v) for v in _INTS.findall(body.split("{", 2)[2].split("}", 1)[0])]
    gen = _COMMENT.sub("", (src / "GenDetElemId2SegType.cxx").read_text())
    ids, types = _array(gen, "detElemIndexToDetElemId"), _array(gen, "detElemIndexToSegType")
    segtype = dict(zip(ids, types, strict=True))
    return [(de, segtype[de]) for de in order]


def _block(text: str, start: int) -> tuple[str, int]:
    """The text inside the braces opening at ``start``, and the index after them."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    sys.exit("unbalanced braces")


def _top_items(block: str) -> list[str]:
    """The brace-enclosed items at the top level of ``block``."""
    items, i = [], 0
    while (i := block.find("{", i)) >= 0:
        inner, i = _block(block, i)
        items.append(inner)
    return items


def cathode_boards(src: Path, segtype: int) -> list[dict[int, set[int]]]:
    """Per cathode (bending, non-bending): DS id -> its connected channels."""
    raw = (src / f"GenCathodeSegmentationCreatorForSegType{segtype}.cxx").read_text()
    text = (
        raw.replace("/* PGT */", "@TYPES")
        .replace("/* PG */", "@GROUPS")
        .replace("/* PS */", "@SIZES")
    )
    text = _COMMENT.sub("", text)
    out = []
    for part in text.split("@GROUPS")[1:]:
        groups_text, rest = part.split("@TYPES", 1)
        types_text = rest.split("@SIZES", 1)[0]
        groups = [[float(v) for v in g.split(",")] for g in _top_items(_block(
            groups_text, groups_text.index("{"))[0])]  # fmt: skip
        types = []
        for item in _top_items(_block(types_text, types_text.index("{"))[0]):
            ids = _block(item, item.index("{"))[0]
            types.append([int(v) for v in _INTS.findall(ids)])
        boards: dict[int, set[int]] = {}
        for group in groups:
            ds, kind = int(group[0]), int(group[1])
            boards.setdefault(ds, set()).update(c for c in types[kind] if c >= 0)
        out.append(boards)
    if len(out) != 2:
        sys.exit(f"segmentation type {segtype}: expected 2 cathodes, found {len(out)}")
    return out


def derive(checkout: Path, commit: str) -> dict[str, object]:
    src = checkout / SRC
    per_type: dict[int, list[dict[int, set[int]]]] = {}
    des = []
    n_boards = n_pads = 0
    for de, segtype in detection_elements(src):
        if segtype not in per_type:
            per_type[segtype] = cathode_boards(src, segtype)
        merged: dict[int, set[int]] = {}
        for cathode in per_type[segtype]:
            merged.update(cathode)
        boards = [[ds, f"{sum(1 << c for c in merged[ds]):016x}"] for ds in sorted(merged)]
        n_boards += len(boards)
        n_pads += sum(len(merged[ds]) for ds in merged)
        des.append({"de": de, "segtype": segtype, "boards": boards})
    if n_boards != BOARDS:
        sys.exit(f"derived {n_boards} boards; O2's NumberOfDualSampas is {BOARDS}")
    return {
        "": [
            "O2's MCH electronics mapping as qcflow reads it: per detection element (DE), in",
            "O2's DsIndex order (DEs as forEachDetectionElement lists them, DS ids ascending),",
            "each dual-SAMPA board as [DS id, mask of the channels connected to a pad (bit c =",
            "channel c, hex)]. Derived by qcflow's tools/derive_mch_elecmap.py from AliceO2's",
            "Detectors/MUON/MCH/Mapping/Impl4/src (GenDetElemId2SegType.cxx,",
            "GenCathodeSegmentationCreatorForSegType*.cxx, CathodeSegmentationCImpl4.cxx;",
            "Impl4 is the implementation O2's DsIndex and QC's MCH module use).",
            "Facts from AliceO2 (https://github.com/AliceO2Group/AliceO2), GPL-3.0, copyright",
            "CERN and copyright holders of ALICE O2.",
        ],
        "source": {"repository": "https://github.com/AliceO2Group/AliceO2", "commit": commit},
        "boards": n_boards,
        "pads": n_pads,
        "detectionElements": des,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="an AliceO2 checkout (or partial one)")
    parser.add_argument("-o", "--output", type=Path,
                        default=Path("src/qcflow/data/mch-elecmap-o2.json"))  # fmt: skip
    parser.add_argument("--commit", default="", help="the checkout's commit, for the record")
    args = parser.parse_args()
    doc = derive(args.checkout, args.commit)
    text = json.dumps(doc, separators=(",", ":"))
    # One DE per line: small diffs when O2's mapping changes.
    text = text.replace('{"de":', '\n{"de":')
    args.output.write_text(text + "\n")
    print(f"{args.output}: {doc['boards']} boards, {doc['pads']} pads")


if __name__ == "__main__":
    main()
