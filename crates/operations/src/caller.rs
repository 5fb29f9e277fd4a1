//! Who asks for an operation, and how they came in.

use hashwatch_model::{Actor, ApiKey, DEFAULT_TENANT};

/// The way a request came in. Operations answer every way alike; the way
/// is kept so that logs and tests can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The HTTP API.
    Api,
    /// The web interface.
    Web,
    /// The `hashwatch` command line.
    Cli,
    /// A background job of the service.
    Worker,
}

/// Whose authority an operation runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An API key (behind the API or a web session): its tenant and roles,
    /// as `hashwatch-access` decides them.
    Key(ApiKey),
    /// The local operator, who runs the command line on the database
    /// itself: every tenant's banks and keys, under the same holds,
    /// validation and audit as everyone else. Only the command line holds
    /// this; no key can.
    Operator,
}

/// Who asks, and how they came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Whose authority.
    pub principal: Principal,
    /// The way in.
    pub way: Way,
}

impl Caller {
    /// A key's request through `way`.
    pub fn key(key: ApiKey, way: Way) -> Caller {
        Caller {
            principal: Principal::Key(key),
            way,
        }
    }

    /// The local operator at the command line.
    pub fn operator() -> Caller {
        Caller {
            principal: Principal::Operator,
            way: Way::Cli,
        }
    }

    /// Who the audit log says acted.
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::Key(key) => Actor::Key {
                id: key.id,
                name: key.name.clone(),
            },
            Principal::Operator => Actor::Cli,
        }
    }

    /// The tenant the caller acts in (the operator's is the default one;
    /// the operator's changes are logged in the tenant that owns what
    /// changed).
    pub fn tenant(&self) -> &str {
        match &self.principal {
            Principal::Key(key) => &key.tenant,
            Principal::Operator => DEFAULT_TENANT,
        }
    }
}
