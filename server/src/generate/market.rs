//! What the generated reports look like from the market's side: where people listen,
//! what platforms pay per stream by tier, and in which currencies they report.
//!
//! Rates follow public reports (../shared/FORMATS-REFERENCE.md, "Per-stream rates"):
//! USD per stream in the platform's main markets, scaled down where subscriptions cost
//! less. They are kept in millionths of a cent (8 decimal places) so that every amount a
//! generated file states is exact: no float ever touches money here.

use app::domain::{Currency, Month, Platform, Territory, UsageType};
use rust_decimal::Decimal;

/// A country where people listen: its share of listening (relative weight), its
/// currency, and what a stream there earns relative to the US (percent).
pub struct Market {
    pub code: &'static str,
    pub weight: u32,
    pub currency: &'static str,
    pub rate_percent: u32,
    /// Units of `currency` per US dollar, as text (these are fixed generator
    /// assumptions, not the revenue engine's exchange rates).
    pub per_usd: &'static str,
}

pub const MARKETS: [Market; 20] = [
    market("US", 300, "USD", 100, "1"),
    market("GB", 90, "GBP", 95, "0.79"),
    market("DE", 80, "EUR", 90, "0.92"),
    market("BR", 60, "BRL", 40, "5.05"),
    market("MX", 50, "MXN", 45, "17.40"),
    market("FR", 50, "EUR", 85, "0.92"),
    market("CA", 40, "CAD", 90, "1.36"),
    market("JP", 40, "JPY", 95, "151"),
    market("IN", 40, "INR", 20, "83.2"),
    market("AU", 30, "AUD", 90, "1.52"),
    market("ES", 30, "EUR", 75, "0.92"),
    market("IT", 30, "EUR", 75, "0.92"),
    market("NL", 20, "EUR", 95, "0.92"),
    market("SE", 20, "SEK", 95, "10.6"),
    market("PL", 20, "PLN", 55, "4.02"),
    market("KR", 20, "KRW", 70, "1345"),
    market("ID", 20, "IDR", 30, "15800"),
    market("PH", 15, "PHP", 30, "56.1"),
    market("ZA", 10, "ZAR", 40, "18.6"),
    market("NG", 10, "NGN", 20, "1480"),
];

const fn market(
    code: &'static str,
    weight: u32,
    currency: &'static str,
    rate_percent: u32,
    per_usd: &'static str,
) -> Market {
    Market { code, weight, currency, rate_percent, per_usd }
}

impl Market {
    pub fn territory(&self) -> Territory {
        Territory::parse(self.code).expect("market codes are ISO 3166 countries")
    }

    pub fn local_currency(&self) -> Currency {
        Currency::parse(self.currency).expect("market currencies are ISO 4217")
    }
}

/// Units of `currency` per US dollar, from the first market that uses it.
pub fn per_usd(currency: Currency) -> Decimal {
    MARKETS
        .iter()
        .find(|m| m.currency == currency.code())
        .map(|m| m.per_usd.parse().expect("market exchange rates are decimals"))
        .unwrap_or(Decimal::ONE)
}

/// A tier of a platform: how it shows in reports, its share of the platform's
/// listening, and its US rate range in hundred-millionths of a dollar per unit.
#[derive(Debug, Clone, Copy)]
pub struct Tier {
    pub usage: UsageType,
    pub weight: u32,
    pub low: i64,
    pub high: i64,
}

const fn tier(usage: UsageType, weight: u32, low: i64, high: i64) -> Tier {
    Tier { usage, weight, low, high }
}

const CENT_MILLIONTHS: i64 = 1_000_000; // 0.01 USD in units of 1e-8

const DOWNLOAD: i64 = 70 * CENT_MILLIONTHS;
const SPOTIFY: [Tier; 2] = [
    tier(UsageType::Premium, 65, 400_000, 500_000),
    tier(UsageType::AdSupported, 35, 300_000, 360_000),
];
const APPLE_MUSIC: [Tier; 2] = [
    tier(UsageType::Premium, 92, 600_000, 800_000),
    tier(UsageType::Download, 8, DOWNLOAD, DOWNLOAD),
];
const AMAZON_MUSIC: [Tier; 3] = [
    tier(UsageType::Premium, 78, 390_000, 420_000),
    tier(UsageType::AdSupported, 18, 200_000, 250_000),
    tier(UsageType::Download, 4, DOWNLOAD, DOWNLOAD),
];
const YOUTUBE: [Tier; 2] =
    [tier(UsageType::AdSupported, 45, 100_000, 200_000), tier(UsageType::Ugc, 55, 50_000, 200_000)];
const DEEZER: [Tier; 2] = [
    tier(UsageType::Premium, 70, 300_000, 400_000),
    tier(UsageType::AdSupported, 30, 100_000, 150_000),
];
const TIDAL: [Tier; 1] = [tier(UsageType::Premium, 100, 1_100_000, 1_300_000)];

/// The tiers each platform reports, with their rates (USD per stream, view or download).
pub fn tiers(platform: Platform) -> &'static [Tier] {
    match platform {
        Platform::Spotify => &SPOTIFY,
        Platform::AppleMusic => &APPLE_MUSIC,
        Platform::AmazonMusic => &AMAZON_MUSIC,
        Platform::YouTube => &YOUTUBE,
        Platform::Deezer => &DEEZER,
        Platform::Tidal => &TIDAL,
    }
}

/// How much listening a platform has relative to Spotify (1,000).
pub fn reach(platform: Platform) -> u32 {
    match platform {
        Platform::Spotify => 1000,
        Platform::YouTube => 1300,
        Platform::AppleMusic => 350,
        Platform::AmazonMusic => 250,
        Platform::Deezer => 80,
        Platform::Tidal => 30,
    }
}

/// The currency a platform reports in: Apple in each storefront's own currency, the
/// others in one currency per file.
pub fn reporting_currency(platform: Platform, market: &Market) -> Currency {
    match platform {
        Platform::AppleMusic => market.local_currency(),
        Platform::Deezer => Currency::parse("EUR").expect("EUR is ISO 4217"),
        _ => Currency::USD,
    }
}

/// The rate per unit for a tier in a market and month, in the reporting currency,
/// with 8 decimal places. The same inputs always give the same rate, so a DSR summary
/// (one territory and tier) has one rate for all its lines.
pub fn rate(platform: Platform, tier: &Tier, market: &Market, month: Month) -> Decimal {
    let span = (tier.high - tier.low + 1) as u64;
    let key = format!("{}/{}/{}/{month}", platform.code(), tier.usage.code(), market.code);
    let usd = tier.low + (super::hash(key.as_bytes()) % span) as i64;
    // Downloads are priced per storefront, not scaled by local subscription prices.
    let percent = if tier.usage == UsageType::Download { 100 } else { market.rate_percent };
    let usd = Decimal::new(usd * i64::from(percent) / 100, 8);
    (usd * per_usd(reporting_currency(platform, market))).round_dp(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_rates_are_within_the_published_ranges() {
        let month: Month = "2026-03".parse().unwrap();
        let us = &MARKETS[0];
        for (platform, low, high) in [
            (Platform::Spotify, "0.003", "0.005"),
            (Platform::AppleMusic, "0.006", "0.008"),
            (Platform::YouTube, "0.0005", "0.002"),
            (Platform::Tidal, "0.011", "0.013"),
        ] {
            for tier in tiers(platform).iter().filter(|t| t.usage != UsageType::Download) {
                let rate = rate(platform, tier, us, month);
                let (low, high): (Decimal, Decimal) = (low.parse().unwrap(), high.parse().unwrap());
                assert!(low <= rate && rate <= high, "{platform} {:?}: {rate}", tier.usage);
            }
        }
    }

    #[test]
    fn apple_reports_each_storefront_in_its_currency() {
        let month: Month = "2026-03".parse().unwrap();
        let tier = &tiers(Platform::AppleMusic)[1];
        let japan = MARKETS.iter().find(|m| m.code == "JP").unwrap();
        assert_eq!(reporting_currency(Platform::AppleMusic, japan).code(), "JPY");
        assert_eq!(rate(Platform::AppleMusic, tier, japan, month), Decimal::new(10570, 2));
    }
}
