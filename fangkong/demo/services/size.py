"""How big the demo county is. Scale 1 is the county a newcomer sees (≈100,000 people);
tests use a small scale, which keeps at least one unit of every type."""

from dataclasses import dataclass


def _scaled(full, scale, minimum):
    return max(minimum, round(full * scale))


@dataclass(frozen=True)
class Size:
    towns: int
    streets: int
    villages: int
    grids_per_village: int
    households: int
    schools: dict
    companies: int
    checkpoints: int
    isolation_sites: int
    room_share: float
    sampling_points: int
    venues: int
    likely_duplicates: int

    @classmethod
    def for_scale(cls, scale=1.0):
        if not 0 < scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        towns = _scaled(12, scale, 2)
        return cls(
            towns=towns,
            streets=max(1, round(towns / 4)),
            villages=_scaled(150, scale, 2 * towns),
            grids_per_village=4,
            households=_scaled(35_000, scale, 60),
            schools={kind: _scaled(n, scale, 1) for kind, n in
                     {"high": 3, "middle": 8, "primary": 13, "kindergarten": 6}.items()},
            companies=_scaled(20, scale, 1),
            checkpoints=_scaled(10, scale, 1),
            isolation_sites=_scaled(3, scale, 1),
            room_share=max(scale, 0.05),
            sampling_points=_scaled(6, scale, 1),
            venues=_scaled(6, scale, 1),
            likely_duplicates=_scaled(8, scale, 1),
        )
