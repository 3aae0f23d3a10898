//! [`ListOptions`]: pagination of the `list_*` methods (Go `PageSize`, `Page`, spec §5.8).

/// Which page of a listing to read. Pages are 1-based; the default is page 1 of 30.
///
/// Go's `PageSize(n)` turns a negative size into 0 and `Page(n)` a page below 1 into 1; these
/// setters do the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOptions {
    /// Entries per page (Go `PageSize`, default 30).
    pub page_size: i64,
    /// 1-based page number (Go `Page`, default 1).
    pub page: i64,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: 30,
            page: 1,
        }
    }
}

impl ListOptions {
    /// `size` entries per page; negative → 0 (Go `PageSize`).
    pub fn page_size(mut self, size: i64) -> Self {
        self.page_size = size.max(0);
        self
    }

    /// Page `page`, 1-based; below 1 → 1 (Go `Page`).
    pub fn page(mut self, page: i64) -> Self {
        self.page = page.max(1);
        self
    }

    /// The inclusive index range `(start, stop)` of this page: start = size × (page − 1),
    /// stop = start + size − 1 (Go `Pagination.start`, `stop`).
    pub fn range(&self) -> (i64, i64) {
        let start = self.page_size.saturating_mul(self.page.max(1) - 1);
        (start, start + self.page_size - 1)
    }
}
