"""Who is ESS: the evidence of each source (INSEE flag, legal category, ESUS approvals, SIAE/EA/ESAT
lists, ESS France's list) and the resulting status with its reason (rules in docs/ess.md)."""
