-- `track_summary` (a track's terms per month and platform, summed) has no reader left:
-- the dashboards group `priced_terms` once per statement (app/src/dashboards/query.rs,
-- `Summary::Tracks`) rather than per track, month and platform first.
DROP VIEW track_summary;
