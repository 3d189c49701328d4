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

    let template = staff.get("/rates/template.csv").await;
    assert_eq!(template.status(), StatusCode::OK);
    let template = template.bytes().await.unwrap().to_vec();
    let ok = staff.post_file("/rates/import", "rates.csv", template.clone()).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/rates?imported=2");

    let bad = format!("{HEADER}2026-05,EUR,USD,1.1\n2026-05,EUR,USD,abc\n");
    let refused = staff.post_file("/rates/import", "bad.csv", bad.into_bytes()).await;
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
    assert_eq!(anonymous.get("/rates/template.csv").await.status(), StatusCode::UNAUTHORIZED);
    let post = anonymous.post_file("/rates/import", "rates.csv", template).await;
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
}
