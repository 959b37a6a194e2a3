//! Series views at any range, for charts (placeholder until rollups land).
