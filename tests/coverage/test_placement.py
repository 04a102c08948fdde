"""Where sites lie with respect to the région."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from leviers.coverage.communes import region_communes
from leviers.coverage.placement import IN_CONTOUR, NEAREST_POINT, place_sites
from leviers.coverage.sites import bundled_sites


def test_national_list_placed_in_nouvelle_aquitaine(real_data: Path) -> None:
    na = region_communes("75")
    sites = bundled_sites()
    placement = place_sites(sites.sites, na)
    with (real_data / "tiers-lieux" / "cget_tiers_lieux_2019_france.csv").open(encoding="utf-8") as handle:
        declared = [row["INSEEREG"] == "75" for row in csv.DictReader(handle)]
    # The producer's région column and our geometry agree on all 1,512 sites: 225 in the région.
    assert placement.in_region.tolist() == declared
    assert placement.in_region.sum() == 225
    by_id = {s.id: i for i, s in enumerate(sites.sites)}
    # "Le Quai" (Montignac-Charente) falls in a gap of the simplified contours, 190 m outside the
    # nearest one: the nearest commune point puts it back in the région.
    quai = by_id["826"]
    assert placement.method[quai] == NEAREST_POINT
    assert placement.in_region[quai]
    weecolab = by_id["24"]
    assert placement.method[weecolab] == IN_CONTOUR
    assert placement.commune[weecolab] == "33063"
    # Télécentre de Salviac (Lot, Occitanie) is 2.9 km from the nearest NA commune point.
    salviac = by_id["1114"]
    assert not placement.in_region[salviac]
    assert placement.commune_region[salviac] == "76"
    assert round(float(placement.km_to_region[salviac]), 1) == 2.9
    assert np.all(placement.km_to_region[placement.in_region] == 0)
