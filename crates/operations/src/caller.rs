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
    Worker(Job),
}

/// Whose background job: the audit log tells the service's own upkeep
/// from the hotline's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The service's upkeep (feeds, retention, flood control, webhooks).
    Service,
    /// The hotline's workers (intake, takedowns, re-checks).
    Hotline,
}

/// Whose authority an operation runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An API key (behind the API or a web session): its tenant and roles,
    /// as `hashwatch-access` decides them.
    Key(ApiKey),
    /// The local operator, who runs the command line on the database
    /// itself, and the service's own background jobs (way
    /// [`Way::Worker`]): every tenant's banks and keys, under the same
    /// holds, validation and audit as everyone else. No key can hold this.
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

    /// The service's own background jobs (pulling feeds, retention, …).
    pub fn service() -> Caller {
        Caller {
            principal: Principal::Operator,
            way: Way::Worker(Job::Service),
        }
    }

    /// The hotline's own workers (takedowns, re-checks).
    pub fn hotline() -> Caller {
        Caller {
            principal: Principal::Operator,
            way: Way::Worker(Job::Hotline),
        }
    }

    /// Refuses a key: what only the local operator (or the service's own
    /// jobs) may do, and `why` says so.
    pub(crate) fn operator_only(&self, why: &str) -> crate::OpResult<()> {
        match self.principal {
            Principal::Operator => Ok(()),
            Principal::Key(_) => Err(crate::OpError::new(
                crate::Kind::Forbidden,
                "forbidden",
                why,
            )),
        }
    }

    /// Who the audit log says acted.
    pub fn actor(&self) -> Actor {
        match (&self.principal, self.way) {
            (Principal::Key(key), _) => Actor::Key {
                id: key.id,
                name: key.name.clone(),
            },
            (Principal::Operator, Way::Worker(Job::Service)) => Actor::Service,
            (Principal::Operator, Way::Worker(Job::Hotline)) => Actor::Hotline,
            (Principal::Operator, _) => Actor::Cli,
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
