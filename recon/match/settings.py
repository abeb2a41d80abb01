"""Reconciliation settings. The same settings on the same documents give the same result."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Settings:
    tolerance_taxable: float = 1.0  # rupees, |portal - books| allowed on taxable value
    tolerance_igst: float = 1.0
    tolerance_cgst: float = 1.0
    tolerance_sgst: float = 1.0
    tolerance_cess: float = 1.0
    date_window_days: int = 10  # fuzzy/PAN candidates only; an exact pair with another date is Mismatched
    fuzzy_threshold: float = 90.0  # 0-100 score a fuzzy candidate needs
    pan_matching: bool = True  # pair across registrations of the same PAN (never auto-accepted)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> Settings:
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)
