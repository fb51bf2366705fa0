//! Keyset pages of orders: a store fetches one key more than the page holds, and what it
//! fetched decides the page and where the next one starts.

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::store::OrderCursor;
use orderbridge_domain::values::OrderId;
use uuid::Uuid;

/// The most orders one page may hold.
pub const MAX_PAGE: u32 = 1_000;

/// The page size a query asks for, within 1 and [`MAX_PAGE`]. A store fetches one more key
/// than this, to know whether another page follows.
#[must_use]
pub fn page_size(requested: u32) -> u32 {
    requested.clamp(1, MAX_PAGE)
}

/// The ids of the page among `keys` (`(id, updated_at)`, in list order, up to `size + 1` of
/// them), and the cursor of the next page when there is one.
#[must_use]
pub fn page(keys: Vec<(Uuid, DateTime<Utc>)>, size: u32) -> (Vec<Uuid>, Option<OrderCursor>) {
    page_by(keys, size, |id, updated_at| OrderCursor { updated_at, id })
}

/// The ids of the page among `keys` (`(id, time)`, in list order by that time and then id, up
/// to `size + 1` of them), and the next page's cursor, made by `cursor` from the last key kept,
/// when there is one.
#[must_use]
pub fn page_by<C>(
    mut keys: Vec<(Uuid, DateTime<Utc>)>,
    size: u32,
    cursor: impl Fn(OrderId, DateTime<Utc>) -> C,
) -> (Vec<Uuid>, Option<C>) {
    let size = size as usize;
    let more = keys.len() > size;
    keys.truncate(size);
    let next = if more {
        keys.last()
            .map(|(id, at)| cursor(OrderId::from_uuid(*id), *at))
    } else {
        None
    };
    (keys.into_iter().map(|(id, _)| id).collect(), next)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};
    use uuid::Uuid;

    use super::{page, page_size};

    fn keys(n: usize) -> Vec<(Uuid, DateTime<Utc>)> {
        let start = DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap();
        (0..n)
            .map(|i| (Uuid::now_v7(), start + TimeDelta::seconds(i as i64)))
            .collect()
    }

    #[test]
    fn one_key_more_than_the_page_means_a_next_page_after_the_last_one_kept() {
        let fetched = keys(4);
        let (ids, next) = page(fetched.clone(), 3);
        assert_eq!(ids, fetched[..3].iter().map(|k| k.0).collect::<Vec<_>>());
        let next = next.unwrap();
        assert_eq!((next.id.as_uuid(), next.updated_at), fetched[2]);
    }

    #[test]
    fn a_short_page_is_the_last() {
        let (ids, next) = page(keys(3), 3);
        assert_eq!(ids.len(), 3);
        assert!(next.is_none());
        assert!(page(Vec::new(), 3).0.is_empty());
    }

    #[test]
    fn the_page_size_is_kept_within_its_bounds() {
        assert_eq!(page_size(0), 1);
        assert_eq!(page_size(50), 50);
        assert_eq!(page_size(u32::MAX), 1_000);
    }
}
