//! Access to the database pool from inside server functions.

use crate::error::AppError;
use leptos::prelude::use_context;
use rust_decimal::Decimal;
use sqlx::Postgres;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{PgConnection, PgPool};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The pool the server put into the Leptos context for this request.
#[track_caller]
pub fn pool() -> Result<PgPool, AppError> {
    let caller = std::panic::Location::caller();
    use_context::<PgPool>().ok_or_else(|| {
        tracing::error!(%caller, "no database pool in the request context");
        AppError::Internal
    })
}

/// True when `e` is a violation of the unique constraint or index `name`.
pub fn is_unique_violation(e: &sqlx::Error, name: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(name))
}

/// What one request has looked up, for its other server functions to reuse. A page
/// drawn on the server runs all of its resources' server functions within its one
/// request, and each starts at the guard and at whose numbers it shows: a dashboard
/// asked the database for its reader seven times, and for an artist's currencies six.
/// The server provides a fresh one as context for every request.
#[derive(Clone, Default)]
pub struct RequestMemo(Arc<Mutex<HashMap<MemoKey, Arc<dyn Any + Send + Sync>>>>);

/// What was looked up, for whom (an id), and as what type.
type MemoKey = (&'static str, i64, TypeId);

type Cell<T> = tokio::sync::OnceCell<T>;

impl RequestMemo {
    fn cell<T: Send + Sync + 'static>(&self, what: &'static str, key: i64) -> Arc<Cell<T>> {
        let mut cells = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let cell = cells
            .entry((what, key, TypeId::of::<T>()))
            .or_insert_with(|| Arc::new(Cell::<T>::new()))
            .clone();
        cell.downcast().expect("a memo's cells are keyed by their type")
    }
}

/// The request's `what` for `key` (say, an artist's id), made by `init` on first
/// asking; later askers (at once or after) get the same value. Without a memo in context (a handler outside Leptos),
/// `init` runs every time. A failed `init` is not remembered.
pub async fn request_once<T, F, Fut>(what: &'static str, key: i64, init: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    match use_context::<RequestMemo>() {
        Some(memo) => memo.cell::<T>(what, key).get_or_try_init(init).await.cloned(),
        None => init().await,
    }
}

/// Forgets the request's `what` for `key`: what changes it (a login, say) calls this.
pub fn request_forget<T: 'static>(what: &'static str, key: i64) {
    if let Some(memo) = use_context::<RequestMemo>() {
        let mut cells = memo.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.remove(&(what, key, TypeId::of::<T>()));
    }
}

/// What pages read of the catalog again and again (a label's releases, its home page's
/// card), kept between requests while the catalog is unchanged: each entry is valid for
/// the `catalog_version` it was read under (migration 25), which every committed change
/// to labels, artists, releases, tracks or credits moves on. The server makes one and
/// provides it to every request; several replicas each keep their own, each checking
/// the one count. A label overview read its label's 1,250 releases and their artists
/// anew each time: a fifth of its Postgres time at a distributor's size.
#[derive(Clone, Default)]
pub struct CatalogCache(Arc<Mutex<HashMap<MemoKey, Kept>>>);

/// A cached value and the catalog version it was read under.
type Kept = (i64, Arc<dyn Any + Send + Sync>);

/// Entries kept at most: past it the cache starts again empty (a distributor has a
/// few hundred labels; each entry is a label's).
const CATALOG_CACHE_ENTRIES: usize = 1024;

impl CatalogCache {
    fn get<T: Send + Sync + 'static>(&self, key: MemoKey, version: i64) -> Option<Arc<T>> {
        let entries = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries.get(&key) {
            Some((kept, value)) if *kept == version => value.clone().downcast().ok(),
            _ => None,
        }
    }

    fn put<T: Send + Sync + 'static>(&self, key: MemoKey, version: i64, value: Arc<T>) {
        let mut entries = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CATALOG_CACHE_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (version, value));
    }
}

/// `what` for `key` as `init` reads it from the catalog, kept between requests while the
/// catalog is unchanged (see [`CatalogCache`]). Without a cache in context, `init` runs
/// every time.
pub async fn catalog_cached<T, F, Fut>(
    pool: &PgPool,
    what: &'static str,
    key: i64,
    init: F,
) -> Result<Arc<T>, AppError>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let Some(cache) = use_context::<CatalogCache>() else {
        return Ok(Arc::new(init().await?));
    };
    // Read before what is kept under it: what `init` reads is at least this new.
    let version =
        sqlx::query_scalar!("SELECT version FROM catalog_version").fetch_one(pool).await?;
    let key = (what, key, TypeId::of::<T>());
    if let Some(kept) = cache.get(key, version) {
        return Ok(kept);
    }
    let fresh = Arc::new(init().await?);
    cache.put(key, version, fresh.clone());
    Ok(fresh)
}

/// A `numeric` read straight into a [`Decimal`], for statements that return many
/// (a label's tracks' sums: 28,000 rows a page). sqlx's conversion multiplies each
/// base-10,000 digit group by a power of 10,000 worked out afresh (a division for each
/// fractional group): a fifth of the server's time on a label overview. Here the groups
/// are gathered into one integer and scaled once. Values it cannot hold exactly (more
/// than 28 decimal places, or beyond 96 bits) go to sqlx's conversion, so the results
/// are always sqlx's, scale included (a test compares the two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeric(pub Decimal);

impl sqlx::Type<Postgres> for Numeric {
    fn type_info() -> PgTypeInfo {
        <Decimal as sqlx::Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for Numeric {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if value.format() == PgValueFormat::Binary
            && let Some(decimal) = decimal_of(value.as_bytes()?)
        {
            return Ok(Numeric(decimal));
        }
        <Decimal as sqlx::Decode<Postgres>>::decode(value).map(Numeric)
    }
}

/// A binary `numeric` (digit count, weight, sign, display scale, then base-10,000
/// digits: the value is the digits times 10,000 to the weight, down to the last), as
/// sqlx's conversion would make it; `None` for what this does not handle.
fn decimal_of(bytes: &[u8]) -> Option<Decimal> {
    let word = |at: usize| Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let (count, weight) = (word(0)? as usize, i32::from(word(2)? as i16));
    let (sign, scale) = (word(4)?, u32::from(word(6)?));
    // Positive and negative only: NaN and the infinities are sqlx's to refuse.
    if sign != 0 && sign != 0x4000 {
        return None;
    }
    if count == 0 {
        return Some(Decimal::ZERO);
    }
    let mut mantissa: i128 = 0;
    for i in 0..count {
        let digit = i128::from(word(8 + 2 * i)?);
        mantissa = mantissa.checked_mul(10_000)?.checked_add(digit)?;
    }
    // The mantissa's last group is worth 10,000 to the (weight - count + 1).
    let exponent = 4 * (weight - count as i32 + 1);
    let ten = |power: u32| 10i128.checked_pow(power);
    let mut places = 0u32;
    if exponent >= 0 {
        mantissa = mantissa.checked_mul(ten(exponent as u32)?)?;
    } else {
        places = exponent.unsigned_abs();
    }
    // To the display scale, as sqlx's `rescale` leaves it: the groups' trailing zeros
    // past it dropped, or zeros added up to it.
    if places > scale {
        let divisor = ten(places - scale)?;
        if mantissa % divisor != 0 {
            return None;
        }
        mantissa /= divisor;
    } else {
        mantissa = mantissa.checked_mul(ten(scale - places)?)?;
    }
    if sign == 0x4000 {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// Settings changed for part of a transaction, and what they were before: a batch
/// statement may need more than the rest of its transaction should have. Each way is
/// one round trip, however many settings: small allocations (a decision's few tracks)
/// change and restore them too.
pub struct LocalSettings {
    names: Vec<String>,
    before: Vec<String>,
}

impl LocalSettings {
    /// Sets each `(name, value)` for the rest of the transaction; returns what was set.
    pub async fn set(
        tx: &mut PgConnection,
        settings: &[(&str, &str)],
    ) -> Result<LocalSettings, AppError> {
        let (names, values): (Vec<String>, Vec<String>) =
            settings.iter().map(|(n, v)| (n.to_string(), v.to_string())).unzip();
        // Each row reads its setting before it sets it: a target list is evaluated left
        // to right.
        let rows = sqlx::query!(
            r#"
            SELECT current_setting(name) AS "was!", set_config(name, value, true) AS "set"
            FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS s(name, value, n)
            ORDER BY n
            "#,
            &names,
            &values
        )
        .fetch_all(&mut *tx)
        .await?;
        let before = rows.into_iter().map(|r| r.was).collect();
        Ok(LocalSettings { names, before })
    }

    /// Sets back what was set before, for the rest of the transaction.
    pub async fn restore(self, tx: &mut PgConnection) -> Result<(), AppError> {
        sqlx::query!(
            r#"
            SELECT set_config(name, was, true) AS "set"
            FROM UNNEST($1::text[], $2::text[]) AS s(name, was)
            "#,
            &self.names,
            &self.before
        )
        .fetch_all(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Postgres' parallel workers for a batch statement that reads millions of rows (a
/// full conflict detection, the label roll-up of an allocation), set with
/// [`LocalSettings`] around it: the pool allows none, as it serves many readers at once
/// (`server::database`). Gathering a worker's groups is costed at a tenth of the
/// default: the planner otherwise keeps serial a grouping whose groups are nearly as
/// many as its rows. Only a SELECT gets workers: Postgres 15 runs no INSERT ... SELECT
/// in parallel.
pub const PARALLEL_WORKERS: [(&str, &str); 2] =
    [("max_parallel_workers_per_gather", "2"), ("parallel_tuple_cost", "0.01")];

#[cfg(test)]
mod tests {
    use super::{RequestMemo, request_forget, request_once};
    use crate::error::AppError;
    use leptos::prelude::{Owner, provide_context};
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn count(calls: &AtomicUsize) -> Result<usize, AppError> {
        tokio::task::yield_now().await;
        Ok(calls.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_request_looks_each_thing_up_once_until_it_is_forgotten() {
        let calls = AtomicUsize::new(0);
        let owner = Owner::new();
        owner.set();
        provide_context(RequestMemo::default());
        // Asked at once, as a page's resources ask: one lookup, shared.
        let (a, b) = tokio::join!(
            request_once("n", 1, || count(&calls)),
            request_once("n", 1, || count(&calls))
        );
        assert_eq!((a.unwrap(), b.unwrap()), (1, 1));
        // Another key, or another name, is looked up for itself.
        assert_eq!(request_once("n", 2, || count(&calls)).await.unwrap(), 2);
        assert_eq!(request_once("m", 1, || count(&calls)).await.unwrap(), 3);
        assert_eq!(request_once("n", 1, || count(&calls)).await.unwrap(), 1);
        request_forget::<usize>("n", 1);
        assert_eq!(request_once("n", 1, || count(&calls)).await.unwrap(), 4);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_a_memo_every_asking_looks_up() {
        let calls = AtomicUsize::new(0);
        Owner::new().set();
        assert_eq!(request_once("n", 1, || count(&calls)).await.unwrap(), 1);
        assert_eq!(request_once("n", 1, || count(&calls)).await.unwrap(), 2);
    }
}
