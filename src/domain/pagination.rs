//! Offset pagination maths, as Kaminari and GitLab's offset header builder do it.

/// `per_page` when none is given.
pub const DEFAULT_PER_PAGE: i64 = 20;
/// Larger `per_page` values are silently capped to this.
pub const MAX_PER_PAGE: i64 = 100;

/// The page a caller asked for, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    /// Normalises raw values the way Kaminari does: pages below 1 are page 1, a negative
    /// `per_page` falls back to the default, and anything above the maximum is capped.
    /// (`per_page=0` is refused earlier, as a parameter error.)
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Self {
        let page = page.unwrap_or(1).max(1);
        let per_page = match per_page {
            Some(n) if n > 0 => n.min(MAX_PER_PAGE),
            _ => DEFAULT_PER_PAGE,
        };
        Self { page, per_page }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }
}

/// Everything the pagination headers say about one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Never below 1, so an empty list has one (empty) page.
    pub total_pages: i64,
    pub next_page: Option<i64>,
    pub prev_page: Option<i64>,
}

impl PageInfo {
    pub fn new(request: PageRequest, total: i64) -> Self {
        let total = total.max(0);
        let total_pages = ((total + request.per_page - 1) / request.per_page).max(1);
        let page = request.page;
        let out_of_range = page > total_pages;
        Self {
            page,
            per_page: request.per_page,
            total,
            total_pages,
            next_page: (page < total_pages).then(|| page + 1),
            prev_page: (page > 1 && !out_of_range).then(|| page - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_kaminari() {
        assert_eq!(
            PageRequest::new(None, None),
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        assert_eq!(
            PageRequest::new(Some(0), Some(500)),
            PageRequest {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            PageRequest::new(Some(-3), Some(-5)),
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
    }

    #[test]
    fn pages_and_neighbours() {
        let info = PageInfo::new(PageRequest::new(Some(2), Some(2)), 5);
        assert_eq!(
            (info.total_pages, info.next_page, info.prev_page),
            (3, Some(3), Some(1))
        );
        let last = PageInfo::new(PageRequest::new(Some(3), Some(2)), 5);
        assert_eq!((last.next_page, last.prev_page), (None, Some(2)));
        let empty = PageInfo::new(PageRequest::default(), 0);
        assert_eq!(
            (empty.total_pages, empty.next_page, empty.prev_page),
            (1, None, None)
        );
        let beyond = PageInfo::new(PageRequest::new(Some(9), Some(2)), 5);
        assert_eq!((beyond.next_page, beyond.prev_page), (None, None));
    }
}
