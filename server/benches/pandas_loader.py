"""The loader a data team would otherwise write: pandas read_csv, then to_sql.

`make bench` runs it beside `backbeat ingest` on the same report files, into the same
`stream_facts` table (same indexes, same database settings), to show what Backbeat's
loader is worth against the usual scheduled Python task. It does what such a task
does: read the file, look ISRCs up in the catalog, shape the columns, append them.
It does not validate, allocate or detect conflicts.

    python pandas_loader.py FORMAT FILE DATABASE_URL FILE_ID

prints one JSON line: {"rows": N, "gross": {"USD": "12.34", ...}}.
"""

import json
import sys

import pandas as pd
from sqlalchemy import create_engine

COLUMNS = [
    "report_file_id", "line_number", "accounting_month", "period_start", "period_end",
    "platform", "territory", "usage_type", "isrc", "upc", "platform_track_id", "track_id",
    "title", "artist", "units", "gross", "currency", "collector", "label_id",
]

USAGE = {
    "SubscriptionModel": "premium",
    "AdvertisementSupportedModel": "ad_supported",
    "FreeOfChargeModel": "ad_supported",
    "PermanentDownload": "download",
    "ConditionalDownload": "download",
    "PayAsYouGoModel": "download",
}


def dsr(path):
    raw = pd.read_csv(path, sep="\t", header=None, names=range(16), dtype=str,
                      keep_default_na=False, quoting=3)
    raw["line_number"] = raw.index + 1
    kind = raw[0].str[:2]
    head = raw[kind == "HE"].iloc[0]
    sy = raw[kind == "SY"].rename(columns={1: "summary", 4: "model", 6: "territory",
                                           10: "currency", 11: "revenue", 12: "collector"})
    sy["revenue"] = sy["revenue"].astype(float)
    assets = raw[kind == "AS"].rename(columns={1: "block", 2: "resource", 3: "platform_track_id",
                                               4: "isrc", 5: "title", 7: "artist"})
    releases = raw[kind == "RE"].rename(columns={1: "block", 2: "release", 6: "upc"})
    su = raw[kind == "SU"].rename(columns={1: "block", 2: "summary", 4: "release",
                                           5: "resource", 7: "units"})
    su["units"] = su["units"].astype("int64")
    facts = (su[["line_number", "block", "summary", "release", "resource", "units"]]
             .merge(assets[["block", "resource", "platform_track_id", "isrc", "title", "artist"]],
                    on=["block", "resource"], how="left")
             .merge(releases[["block", "release", "upc"]], on=["block", "release"], how="left")
             .merge(sy[["summary", "model", "territory", "currency", "revenue", "collector"]],
                    on="summary", how="left"))
    share = facts["units"] / facts.groupby("summary")["units"].transform("sum")
    facts["gross"] = (facts["revenue"] * share).round(10)
    facts["usage_type"] = facts["model"].map(USAGE)
    facts["upc"] = facts["upc"].str.zfill(13)
    facts["period_start"] = pd.Timestamp(head[8]).date()
    facts["period_end"] = pd.Timestamp(head[9]).date()
    sender = head[11].lower()
    facts["platform"] = next(p for w, p in [("spotify", "spotify"), ("amazon", "amazon_music"),
                                            ("deezer", "deezer"), ("tidal", "tidal")] if w in sender)
    facts["collector"] = facts["collector"].replace("", None)
    return facts


def apple(path):
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    raw["line_number"] = raw.index + 2
    rows = raw[~raw["Start Date"].str.startswith("Total_")].copy()
    facts = pd.DataFrame({
        "line_number": rows["line_number"],
        "period_start": pd.to_datetime(rows["Start Date"], format="%m/%d/%Y").dt.date,
        "period_end": pd.to_datetime(rows["End Date"], format="%m/%d/%Y").dt.date,
        "territory": rows["Country Of Sale"],
        "usage_type": rows["Product Type Identifier"].map(
            lambda t: "ad_supported" if t == "SA" else "premium" if t.startswith("S") else "download"),
        "isrc": rows["ISRC/ISBN"],
        "upc": rows["UPC"].str.zfill(13),
        "platform_track_id": rows["Apple Identifier"],
        "title": rows["Title"],
        "artist": rows["Artist/Show/Developer/Author"],
        "units": rows["Quantity"].astype("int64"),
        "gross": rows["Extended Partner Share"].astype(float),
        "currency": rows["Partner Share Currency"],
        "collector": None,
    })
    facts["platform"] = "apple_music"
    return facts


def youtube(path):
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    day = pd.to_datetime(rows["day"], format="%Y%m%d").dt.date
    facts = pd.DataFrame({
        "line_number": rows.index + 2,
        "period_start": day,
        "period_end": day,
        "territory": rows["country"],
        "usage_type": rows["content_type"].map(lambda c: "ugc" if c == "UGC" else "ad_supported"),
        "isrc": rows["isrc"].replace("", None),
        "upc": None,
        "platform_track_id": rows["asset_id"],
        "title": rows["asset_title"],
        "artist": rows["artist"],
        "units": rows["monetized_views"].astype("int64"),
        "gross": rows["partner_revenue"].astype(float),
        "currency": "USD",
        "collector": None,
    })
    facts["platform"] = "youtube"
    return facts


def main():
    fmt, path, url, file_id = sys.argv[1:5]
    engine = create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    facts = {"dsr": dsr, "apple": apple, "youtube": youtube}[fmt](path)
    # Each line's track and the track's label, as Backbeat's facts carry them.
    tracks = pd.read_sql(
        "SELECT t.isrc, t.id AS track_id, r.label_id FROM tracks t "
        "JOIN releases r ON r.id = t.release_id",
        engine,
    )
    facts = facts.merge(tracks, on="isrc", how="left")
    facts["track_id"] = facts["track_id"].astype("Int64")
    facts["label_id"] = facts["label_id"].astype("Int64")
    facts["report_file_id"] = int(file_id)
    # Backbeat accounts a line in the month its period ends in.
    end = pd.to_datetime(facts["period_end"])
    facts["accounting_month"] = end.dt.to_period("M").dt.to_timestamp().dt.date
    facts = facts[COLUMNS]
    facts.to_sql("stream_facts", engine, if_exists="append", index=False, chunksize=10000)
    gross = facts.groupby("currency")["gross"].sum()
    print(json.dumps({"rows": len(facts), "gross": {c: f"{g:.6f}" for c, g in gross.items()}}))


if __name__ == "__main__":
    main()
