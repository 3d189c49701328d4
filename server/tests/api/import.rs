//! CSV imports: all or nothing, with the bad line named.

use crate::helpers::{TestApp, fresh_database};
use rust_decimal::Decimal;
use server::import::{Imported, exchange_rates::ExchangeRates, import_file};
use std::process::Command;

const HEADER: &str = "month,from_currency,to_currency,rate\n";

#[tokio::test]
async fn an_import_with_a_bad_line_writes_nothing_and_names_it() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rates.csv");
    std::fs::write(&bad, format!("{HEADER}2026-03,EUR,USD,1.08\n2026-03,GBP,USD,1,27\n")).unwrap();
    let Imported::Refused(errors) = import_file::<ExchangeRates>(&app.pool, &bad).await.unwrap()
    else {
        panic!("a bad line refuses the file");
    };
    assert_eq!(errors.kept()[0].line, 3, "{:?}", errors.kept());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM exchange_rates")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "not even the good line");

    let good = dir.path().join("rates-fixed.csv");
    std::fs::write(&good, format!("{HEADER}2026-03,EUR,USD,1.08\n2026-03,GBP,USD,1.27\n")).unwrap();
    assert!(matches!(
        import_file::<ExchangeRates>(&app.pool, &good).await.unwrap(),
        Imported::Written(2)
    ));
    // Importing a rate again replaces it, and says where it came from.
    let again = dir.path().join("rates-march.csv");
    std::fs::write(&again, format!("{HEADER}2026-03,EUR,USD,1.0842\n")).unwrap();
    import_file::<ExchangeRates>(&app.pool, &again).await.unwrap();
    let rates: Vec<(String, Decimal, String)> = sqlx::query_as(
        "SELECT from_currency::text, rate, source FROM exchange_rates ORDER BY from_currency",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        rates,
        [
            ("EUR".into(), Decimal::new(10842, 4), "rates-march.csv".into()),
            ("GBP".into(), Decimal::new(127, 2), "rates-fixed.csv".into())
        ]
    );
}

#[tokio::test]
async fn the_import_command_fails_naming_the_line_and_its_template_imports() {
    let (url, pool) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let backbeat = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backbeat"));
        command.env("DATABASE_URL", &url);
        command
    };
    let template = backbeat().args(["import", "exchange-rates", "--template"]).output().unwrap();
    assert!(template.status.success());
    let path = dir.path().join("template.csv");
    std::fs::write(&path, &template.stdout).unwrap();
    let imported = backbeat().args(["import", "exchange-rates"]).arg(&path).output().unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}2026-04,EUR,USD,1.08\n2026-04,XYZ,USD,1.2\n")).unwrap();
    let refused = backbeat().args(["import", "exchange-rates"]).arg(&bad).output().unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("line 3, column from_currency") && stderr.contains("XYZ"), "{stderr}");
    let april: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exchange_rates WHERE month = '2026-04-01'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(april, 0);
}

#[tokio::test]
async fn staff_import_rates_in_the_browser_and_others_cannot() {
    use crate::helpers::{PASSWORD, user};
    use app::{domain::Role, users::Link};
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;

    let template = staff.get("/import/exchange-rates/template.csv").await;
    assert_eq!(template.status(), StatusCode::OK);
    let template = template.bytes().await.unwrap().to_vec();
    let ok = staff.post_file("/import/exchange-rates", "rates.csv", template.clone()).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/rates?imported=2");

    let bad = format!("{HEADER}2026-05,EUR,USD,1.1\n2026-05,EUR,USD,abc\n");
    let refused = staff.post_file("/import/exchange-rates", "bad.csv", bad.into_bytes()).await;
    let location = refused.headers()["location"].to_str().unwrap().to_string();
    let location = percent_encoding::percent_decode_str(&location).decode_utf8().unwrap();
    assert!(
        location.contains("nothing was written") && location.contains("line 3, column rate"),
        "{location}"
    );
    let may: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exchange_rates WHERE month = '2026-05-01'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(may, 0);

    let anonymous = app.browser();
    assert_eq!(
        anonymous.get("/import/exchange-rates/template.csv").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let post = anonymous.post_file("/import/exchange-rates", "rates.csv", template).await;
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
}

/// Imports `text` as `kind` through the command's code path; the errors' text or rows.
async fn import_text<K: server::import::Kind>(
    pool: &sqlx::PgPool,
    text: &str,
) -> Result<u64, String> {
    match server::import::import_bytes::<K>(pool, "test.csv", text.as_bytes()).await.unwrap() {
        Imported::Written(n) => Ok(n),
        Imported::Refused(errors) => {
            Err(errors.kept().iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        }
    }
}

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn each_revenue_kind_refuses_a_file_with_a_bad_third_line_whole() {
    use server::import::{
        advances::Advances, contracts::Contracts, labels::Labels,
        ownership_claims::OwnershipClaims, payees::Payees,
    };
    let (_, pool) = fresh_database().await;
    let catalog = crate::helpers::Catalog::create(&pool).await;
    let upc: String = sqlx::query_scalar(
        "SELECT r.upc FROM releases r JOIN tracks t ON t.release_id = r.id WHERE t.id = $1",
    )
    .bind(catalog.track_a)
    .fetch_one(&pool)
    .await
    .unwrap();

    let payees = "label,name,kind,artist,currency,minimum_payout\n";
    let bad = format!(
        "{payees}Label A,Artist A,artist,Artist A,USD,25\nLabel A,Producer,producer,,EUR,0\n"
    );
    let error = import_text::<Payees>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column currency") && error.contains("USD"), "{error}");
    assert_eq!(count(&pool, "payees").await, 0);
    let good = format!(
        "{payees}Label A,Artist A,artist,Artist A,USD,25\nLabel A,Producer,producer,,USD,0\nLabel A,Label A,label,,USD,\n"
    );
    assert_eq!(import_text::<Payees>(&pool, &good).await, Ok(3));
    assert_eq!(import_text::<Payees>(&pool, &good).await, Ok(3), "again: updated, not added");
    assert_eq!(count(&pool, "payees").await, 3);

    let contracts = "release_upc,track_isrc,valid_from,valid_to,distribution_fee,payee,share\n";
    let bad = format!(
        "{contracts}{upc},,2025-01,,0.15,Artist A,0.70\n{upc},,2025-01,,0.15,Producer,0.20\n{upc},,2025-01,,0.15,Label A,0.05\n"
    );
    let error = import_text::<Contracts>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("sum to 0.95, not 1"), "{error}");
    let bad = format!(
        "{contracts}{upc},,2025-01,,0.15,Artist A,0.70\n{upc},,2025-01,,0.15,Nobody,0.30\n"
    );
    let error = import_text::<Contracts>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column payee"), "{error}");
    assert_eq!(count(&pool, "contracts").await, 0);
    let good = format!(
        "{contracts}{upc},,2025-01,,0.15,Artist A,0.70\n{upc},,2025-01,,0.15,Producer,0.05\n{upc},,2025-01,,0.15,Label A,0.25\n"
    );
    assert_eq!(import_text::<Contracts>(&pool, &good).await, Ok(3));
    let overlapping = format!("{contracts}{upc},,2025-06,,0.2,Artist A,1\n");
    let error = import_text::<Contracts>(&pool, &overlapping).await.unwrap_err();
    assert!(error.contains("line 2, column valid_from") && error.contains("overlaps"), "{error}");
    assert_eq!(count(&pool, "contracts").await, 1);

    let advances = "label,payee,amount,paid_on,note\n";
    let bad =
        format!("{advances}Label A,Artist A,500,2025-01-10,\nLabel A,Artist A,-5,2025-02-10,\n");
    let error = import_text::<Advances>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column amount"), "{error}");
    assert_eq!(count(&pool, "advances").await, 0);
    let good = format!("{advances}Label A,Artist A,500,2025-01-10,Album\n");
    assert_eq!(import_text::<Advances>(&pool, &good).await, Ok(1));
    assert_eq!(import_text::<Advances>(&pool, &good).await, Ok(1));
    assert_eq!(count(&pool, "advances").await, 1, "the same advance twice is one");

    let labels = "name,accounting_currency\n";
    let bad = format!("{labels}Harbour Sound,EUR\nLabel B,EURO\n");
    let error = import_text::<Labels>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column accounting_currency"), "{error}");
    let bad = format!("{labels}Harbour Sound,EUR\nlabel a,GBP\n");
    let error = import_text::<Labels>(&pool, &bad).await.unwrap_err();
    assert!(
        error.contains("line 3, column accounting_currency") && error.contains("keeps USD"),
        "{error}"
    );
    assert_eq!(count(&pool, "labels").await, 2, "only the catalog's two labels");
    let good = format!("{labels}Harbour Sound,EUR\nlabel a,USD\n");
    assert_eq!(import_text::<Labels>(&pool, &good).await, Ok(2));
    assert_eq!(count(&pool, "labels").await, 3, "Label A was updated, Harbour Sound added");

    let claims = "isrc,party,share,territories,valid_from,valid_to,source\n";
    let bad = format!(
        "{claims}USAAA2600001,Label A,1,WW,2025-01-01,,delivery\nUSAAA2600002,Other,0.5,US XX,2025-01-01,,manual\n"
    );
    let error = import_text::<OwnershipClaims>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column territories"), "{error}");
    assert_eq!(count(&pool, "ownership_claims").await, 0);
    let good = format!(
        "{claims}USAAA2600001,Label A,1,WW,2025-01-01,,delivery\nUSAAA2600002,Other,0.5,US CA,2025-01-01,2025-12-31,manual\n"
    );
    assert_eq!(import_text::<OwnershipClaims>(&pool, &good).await, Ok(2));
}

#[tokio::test]
async fn a_contract_import_allocates_what_waited_for_it() {
    use crate::revenue::{line, month, report};
    use server::import::{contracts::Contracts, payees::Payees};
    let (_, pool) = fresh_database().await;
    let catalog = crate::helpers::Catalog::create(&pool).await;
    let file = report(&pool, month("2025-03"), &[line(Some(catalog.track_a), "10", "USD")]).await;
    let held: String =
        sqlx::query_scalar("SELECT hold_reason FROM allocations WHERE report_file_id = $1")
            .bind(file)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(held, "no_contract");
    let payees = "label,name,kind,artist,currency,minimum_payout\nLabel A,Artist A,artist,,USD,0\n";
    import_text::<Payees>(&pool, payees).await.unwrap();
    let contract = "release_upc,track_isrc,valid_from,valid_to,distribution_fee,payee,share\n,USAAA2600001,2025-01,,0.1,Artist A,1\n";
    assert_eq!(import_text::<Contracts>(&pool, contract).await, Ok(1));
    let allocated: Decimal = sqlx::query_scalar(
        "SELECT sum(amount) FROM allocations WHERE report_file_id = $1 AND state = 'allocated' AND beneficiary = 'payee'",
    )
    .bind(file)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(allocated, Decimal::new(9, 0));
    crate::revenue::assert_balanced(&pool).await;
}

#[tokio::test]
async fn staff_keep_payees_and_advances_in_the_browser_with_clear_refusals() {
    use crate::helpers::{Catalog, PASSWORD, error_of, user};
    use app::{domain::Role, users::Link};
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let label = catalog.label_a.to_string();

    let imported =
        "label,name,kind,artist,currency,minimum_payout\nLabel A,Imported Payee,artist,,USD,5\n";
    let response =
        staff.post_file("/import/payees", "payees.csv", imported.as_bytes().to_vec()).await;
    assert_eq!(response.headers()["location"], "/payees?imported=1");
    let page = staff.get("/payees?q=imported").await.text().await.unwrap();
    assert!(page.contains("Imported Payee"), "the imported payee is on its page");

    let form = |name: &'static str, minimum: &'static str| {
        vec![
            ("payee_id", "0".to_string()),
            ("label_id", label.clone()),
            ("name", name.to_string()),
            ("kind", "producer".to_string()),
            ("minimum_payout", minimum.to_string()),
        ]
    };
    let call = |fields: Vec<(&'static str, String)>| {
        let staff = &staff;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            staff.call("save_payee", &fields).await
        }
    };
    let (status, body) = error_of(call(form("Nia", "-1")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("minimum payout '-1'"), "{body}");
    let created = call(form("Nia", "12.50")).await;
    assert_eq!(created.status(), StatusCode::OK);
    let id: i64 = created.json().await.unwrap();
    let (status, body) = error_of(call(form("nia", "1")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("already has a payee called nia"), "{body}");
    let mut edit = form("Nia Renamed", "20");
    edit[0].1 = id.to_string();
    assert_eq!(call(edit).await.status(), StatusCode::OK);
    let (name, minimum): (String, Decimal) =
        sqlx::query_as("SELECT name, minimum_payout FROM payees WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), minimum), ("Nia Renamed", Decimal::new(20, 0)));

    let advance = |amount: &str, day: &str| {
        let fields =
            [("payee_id", id.to_string()), ("amount", amount.into()), ("paid_on", day.into())];
        let staff = &staff;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            staff.call("save_advance", &fields).await
        }
    };
    let (status, body) = error_of(advance("100", "2026-02-30").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("'2026-02-30' is not a date"), "{body}");
    assert_eq!(advance("100", "2026-02-03").await.status(), StatusCode::OK);
    let (status, _) = error_of(advance("100", "2026-02-03").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same advance twice");
    let page = staff.get("/advances").await.text().await.unwrap();
    assert!(page.contains("Nia Renamed"));
}

#[tokio::test]
async fn staff_enter_a_contract_in_the_browser_and_its_revenue_is_allocated() {
    use crate::helpers::{Catalog, PASSWORD, error_of, user};
    use crate::revenue::{line, month, report};
    use app::{domain::Role, users::Link};
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let payees = "label,name,kind,artist,currency,minimum_payout\nLabel A,Artist A,artist,,USD,0\nLabel A,Label A,label,,USD,0\n";
    staff.post_file("/import/payees", "payees.csv", payees.as_bytes().to_vec()).await;
    let file =
        report(&app.pool, month("2026-02"), &[line(Some(catalog.track_a), "10", "USD")]).await;

    let save = |splits: &'static str, from: &'static str| {
        let staff = &staff;
        async move {
            let fields = [
                ("subject", "US-AAA-26-00001"),
                ("valid_from", from),
                ("distribution_fee", "0.2"),
                ("splits", splits),
            ];
            staff.call("save_contract", &fields).await
        }
    };
    for (splits, expected) in [
        ("Artist A: 0.5\nLabel A: 0.4", "The shares sum to 0.9, not 1."),
        ("Artist A: 0.5\nSomeone: 0.5", "The label has no payee called Someone."),
        ("Artist A 0.5", "'Artist A 0.5' is not 'payee: share'."),
    ] {
        let (status, body) = error_of(save(splits, "2026-01").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{splits}");
        assert!(body.to_string().contains(expected), "{body}");
    }
    assert_eq!(save("Artist A: 0.75\nLabel A: 0.25", "2026-01").await.status(), StatusCode::OK);
    let artist: Decimal = sqlx::query_scalar(
        "SELECT sum(amount) FROM allocations a JOIN payees p ON p.id = a.payee_id
         WHERE a.report_file_id = $1 AND p.name = 'Artist A'",
    )
    .bind(file)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(artist, Decimal::new(6, 0), "10 less 20%, three quarters of it");
    let (status, body) = error_of(save("Artist A: 1", "2026-03").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("overlaps another contract of this track"), "{body}");
    let page = staff.get("/contracts?q=USAAA").await.text().await.unwrap();
    assert!(page.contains("Artist A 75%"), "the contract is on its page");
    crate::revenue::assert_balanced(&app.pool).await;
}

#[tokio::test]
async fn a_track_or_platform_id_imported_later_takes_its_lines_out_of_suspense() {
    use crate::revenue::{line, month, report};
    use server::import::{platform_ids::PlatformIds, tracks::Tracks};
    let (_, pool) = fresh_database().await;
    let catalog = crate::helpers::Catalog::create(&pool).await;
    let upc: String = sqlx::query_scalar(
        "SELECT r.upc FROM releases r JOIN tracks t ON t.release_id = r.id WHERE t.id = $1",
    )
    .bind(catalog.track_a)
    .fetch_one(&pool)
    .await
    .unwrap();
    // A line for an ISRC the catalog does not know, and one known only by a platform id.
    let file =
        report(&pool, month("2026-02"), &[line(None, "4", "USD"), line(None, "6", "USD")]).await;
    sqlx::query(
        "UPDATE stream_facts SET isrc = CASE line_number WHEN 1 THEN 'USAAA2600099' END,
                platform_track_id = CASE line_number WHEN 2 THEN 'spotify:xyz' END
         WHERE report_file_id = $1",
    )
    .bind(file)
    .execute(&pool)
    .await
    .unwrap();
    let suspense = |pool: &sqlx::PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<Decimal>>(
                "SELECT sum(gross) FROM allocations WHERE report_file_id = $1 AND state = 'suspense'",
            )
            .bind(file)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(suspense(&pool).await, Some(Decimal::new(10, 0)));

    let tracks = format!(
        "release_upc,isrc,title,track_number,duration_seconds,main_artist,featured_artists\n\
         {upc},USAAA2600099,Late Track,2,200,Artist A,New Guest\n{upc},USAAA2600098,Bad,x,,Artist A,\n"
    );
    let error = import_text::<Tracks>(&pool, &tracks).await.unwrap_err();
    assert!(error.contains("line 3, column track_number"), "{error}");
    let tracks = format!(
        "release_upc,isrc,title,track_number,duration_seconds,main_artist,featured_artists\n\
         {upc},USAAA2600099,Late Track,2,200,Artist A,New Guest\n"
    );
    assert_eq!(import_text::<Tracks>(&pool, &tracks).await, Ok(1));
    assert_eq!(suspense(&pool).await, Some(Decimal::new(6, 0)), "the ISRC line is matched");
    let guest: i64 = sqlx::query_scalar("SELECT count(*) FROM artists WHERE name = 'New Guest'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(guest, 1, "a new featured artist is added");

    let ids = "isrc,platform,platform_track_id\nUSAAA2600001,spotify,spotify:xyz\n";
    assert_eq!(import_text::<PlatformIds>(&pool, ids).await, Ok(1));
    assert_eq!(suspense(&pool).await, None, "the platform id line is matched");
    let matched: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT track_id FROM stream_facts WHERE report_file_id = $1 ORDER BY line_number",
    )
    .bind(file)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(matched[1], Some(catalog.track_a));
    crate::revenue::assert_balanced(&pool).await;
}

#[tokio::test]
async fn releases_are_imported_and_updated_but_stay_on_their_label() {
    use server::import::releases::Releases;
    let (_, pool) = fresh_database().await;
    crate::helpers::Catalog::create(&pool).await;
    let header = "label,upc,title,artist,release_date\n";
    let bad = format!(
        "{header}Label A,036000291452,First,New Artist,2026-04-03\nNo Label,036000291469,Second,New Artist,\n"
    );
    let error = import_text::<Releases>(&pool, &bad).await.unwrap_err();
    assert!(error.contains("line 3, column label") && error.contains("No Label"), "{error}");
    assert_eq!(count(&pool, "releases").await, 3, "only the catalog's own");
    let good = format!("{header}Label A,036000291452,First,New Artist,2026-04-03\n");
    assert_eq!(import_text::<Releases>(&pool, &good).await, Ok(1));
    let renamed = format!("{header}Label A,036000291452,First (Deluxe),New Artist,2026-04-03\n");
    assert_eq!(import_text::<Releases>(&pool, &renamed).await, Ok(1));
    let title: String =
        sqlx::query_scalar("SELECT title FROM releases WHERE upc = '0036000291452'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(title, "First (Deluxe)");
    let moved = format!("{header}Label B,036000291452,First,New Artist,\n");
    let error = import_text::<Releases>(&pool, &moved).await.unwrap_err();
    assert!(error.contains("releases do not move"), "{error}");
}
