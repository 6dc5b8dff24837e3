"""Address mapping: which physical-address bits select the bank group, bank, row and column.

Bit-slice names read most significant field first, in Ramulator's notation (`RoBaRaCoCh`:
row, bank, rank, column, channel); `Bg` splits the bank groups out of `Ba`. DRAMSys
address-mapping JSON files list the bits of each field explicitly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulators.dram.memspec import MemSpec
from simulators.errors import InvalidArgumentError

BIT_SLICES = ("RoBaRaCoCh", "RoRaBaCoCh", "RoCoBaRaCh", "ChRaBaRoCo", "RoBaCoBg", "BaRoCo",
              "RoBaCo")
_TOKEN = re.compile(r"Ro|Bg|Ba|Ra|Co|Ch")


@dataclass(frozen=True)
class AddressMapping:
    """Bit positions of each field, least significant bit first. `bank_bits` select the bank
    inside its group when `bank_group_bits` is set, else the flat bank index."""

    byte_bits: tuple[int, ...]
    column_bits: tuple[int, ...]
    bank_bits: tuple[int, ...]
    row_bits: tuple[int, ...]
    bank_group_bits: tuple[int, ...] = ()
    channel_bits: tuple[int, ...] = ()

    @property
    def channels(self) -> int:
        return 2 ** len(self.channel_bits)

    def channel(self, addresses: np.ndarray) -> np.ndarray:
        """The channel of each address (0 with one channel)."""
        return _gather(np.asarray(addresses, dtype=np.uint64), self.channel_bits)

    def decode(self, addresses: np.ndarray, spec: MemSpec) -> tuple[np.ndarray, np.ndarray]:
        """(flat bank index, row) per address; bank b belongs to group b // (banks/groups)."""
        addresses = np.asarray(addresses, dtype=np.uint64)
        bank = _gather(addresses, self.bank_bits)
        row = _gather(addresses, self.row_bits)
        per_group = spec.banks // spec.bank_groups
        if self.bank_group_bits:
            flat = _gather(addresses, self.bank_group_bits) * per_group + bank
        else:  # low bank bits pick the group, so neighbouring banks sit in different groups
            flat = (bank % spec.bank_groups) * per_group + bank // spec.bank_groups
        return (flat % spec.banks).astype(np.int32), (row % spec.rows).astype(np.int64)

    def check(self, spec: MemSpec) -> None:
        """InvalidArgumentError unless the fields cover the spec's banks and rows exactly."""
        banks = 2 ** (len(self.bank_bits) + len(self.bank_group_bits))
        if banks != spec.banks or 2 ** len(self.row_bits) != spec.rows:
            raise InvalidArgumentError("address mapping", (banks, 2 ** len(self.row_bits)),
                                       f"{spec.banks} banks and {spec.rows} rows of {spec.name}")


def _gather(addresses: np.ndarray, bits: tuple[int, ...]) -> np.ndarray:
    value = np.zeros(addresses.shape, dtype=np.uint64)
    for j, b in enumerate(bits):
        value |= ((addresses >> np.uint64(b)) & np.uint64(1)) << np.uint64(j)
    return value.astype(np.int64)


def bit_slice(name: str, spec: MemSpec, channels: int = 1) -> AddressMapping:
    """A Ramulator-style mapping for `spec` and `channels` (a power of two) channels of one
    rank each: Ra takes no bits."""
    if channels < 1 or channels & (channels - 1):
        raise InvalidArgumentError("channels", channels, "a power of two >= 1")
    tokens = _TOKEN.findall(name)
    if "".join(tokens) != name or not {"Ro", "Ba", "Co"} <= set(tokens) \
            or len(set(tokens)) != len(tokens):
        raise InvalidArgumentError("address mapping", name,
                                   f"{', '.join(BIT_SLICES)} or a DRAMSys address-mapping .json")
    split = "Bg" in tokens
    if channels > 1 and "Ch" not in tokens:
        raise InvalidArgumentError("address mapping", name, "a mapping with Ch for channels > 1")
    widths = {"Ro": spec.rows, "Co": spec.columns, "Ra": 1, "Ch": channels,
              "Ba": spec.banks // spec.bank_groups if split else spec.banks,
              "Bg": spec.bank_groups}
    # As Ramulator: the burst's own bytes and columns are the lowest bits; the fields stack
    # above them, the column field holding the columns of whole bursts.
    position = int(np.log2(spec.bus_bytes))
    burst = int(np.log2(spec.burst_length))
    fields: dict[str, tuple[int, ...]] = {"byte": tuple(range(position))}
    burst_columns = tuple(range(position, position + burst))
    position += burst
    widths["Co"] = spec.columns // spec.burst_length
    for token in reversed(tokens):
        width = int(np.log2(widths[token]))
        fields[token] = tuple(range(position, position + width))
        position += width
    return AddressMapping(fields["byte"], burst_columns + fields["Co"], fields["Ba"],
                          fields["Ro"], fields.get("Bg", ()), fields.get("Ch", ()))


def read_address_mapping(path: str | Path) -> AddressMapping:
    """Read a DRAMSys address-mapping JSON file (one rank; CHANNEL_BIT selects channels)."""
    try:
        table = json.loads(Path(path).read_text())["addressmapping"]
        return AddressMapping(
            tuple(table.get("BYTE_BIT", ())), tuple(table["COLUMN_BIT"]),
            tuple(table["BANK_BIT"]), tuple(table["ROW_BIT"]),
            tuple(table.get("BANKGROUP_BIT", ())), tuple(table.get("CHANNEL_BIT", ())))
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise InvalidArgumentError("address mapping file", str(path),
                                   f"DRAMSys addressmapping JSON ({error!r})") from None


def address_mapping(name_or_path: str | Path, spec: MemSpec,
                    channels: int = 1) -> AddressMapping:
    """A bit-slice name or a DRAMSys JSON file, checked against `spec` and `channels`."""
    text = str(name_or_path)
    mapping = read_address_mapping(text) if text.lower().endswith(".json") \
        else bit_slice(text, spec, channels)
    if mapping.channels != channels:
        raise InvalidArgumentError("channels", channels,
                                   f"{mapping.channels}, as the address mapping selects")
    mapping.check(spec)
    return mapping
