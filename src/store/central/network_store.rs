//! The station network aggregate: seeded once into a new database, then read.

use super::{SqliteCentralStore, schema};
use crate::domain::Network;
use crate::store::StoreError;

/// The station network as the database holds it. Blocks the calling thread.
pub trait NetworkStore {
    /// The station network.
    fn network(&self) -> Result<Network, StoreError>;
}

impl NetworkStore for SqliteCentralStore {
    fn network(&self) -> Result<Network, StoreError> {
        self.read(schema::read_network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::central::tests::fresh;

    #[test]
    fn the_network_is_served_through_its_own_trait() {
        let (_dir, sqlite) = fresh();
        let store: &dyn NetworkStore = &sqlite;
        let network = store.network().unwrap();
        assert_eq!(network, crate::assets::qingliu_network().unwrap());
        assert_eq!(network.stations.len(), 16);
    }
}
