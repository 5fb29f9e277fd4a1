//! Who may do what, decided in one place; and the key that keeps stored
//! secrets sealed ([`secrets`]).
//!
//! Every request the service answers for a key asks [`Policy`] first; no
//! handler compares roles or tenants itself. The rules:
//!
//! - A key holds exactly the roles it was given. Bank roles form one
//!   ladder (matcher < curator < admin) and hotline roles another
//!   (analyst < supervisor); neither implies anything in the other, and
//!   neither implies the blocklist or partner roles.
//! - A bank belongs to its owner tenant. Tenants it is shared with may
//!   match against it and nothing else, unless the owner also lets them
//!   read it (contents, export, feed). Every record derived from a bank
//!   (reviews, dead letters, holds, subscriptions) is its owner's. A bank
//!   a key may not see is answered as if it did not exist.
//! - The hotline belongs to one tenant. Its routes (other than public
//!   reporting and appeals) need a hotline role in that tenant.
//! - The blocklist needs its own role; plain-text URLs need
//!   `blocklist-urls`, everyone else gets SHA-256 of the canonical URLs.
//! - Four eyes: the second assessment needs a supervisor of the hotline
//!   (the case machine, `hotline::case`, also needs it to be another key).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod limits;
pub mod secrets;

use hashwatch_model::{ApiKey, Bank, BankSettings, HoldKind, Role, DEFAULT_TENANT};

/// What a bank-scoped request needs of the bank and of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankAction {
    /// Look up against it (matcher; owner or shared).
    Match,
    /// Read its contents, settings, export or feed (curator, or partner for
    /// another instance that subscribes: matcher keys sit in every upload
    /// pipeline and must not carry the bank out; owner or granted read).
    Read,
    /// Change its contents (curator; owner).
    Curate,
    /// Change its settings, sharing, webhook, holds (admin; owner).
    Administer,
}

/// What a hotline request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotlineAction {
    /// Work the queue, read cases, assess, attach hashes, see statistics.
    Assess,
    /// Second opinions, appeals, contacts, putting hashes into a bank.
    Supervise,
}

/// How the blocklist is shown to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlForm {
    /// SHA-256 of each canonical URL only.
    Sha256,
    /// The URLs themselves (and their SHA-256).
    Plain,
}

/// Why a request is refused. `NoSuchBank` is answered as 404 so that a key
/// learns nothing about banks it may not see; the others are 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The key lacks the role.
    Role {
        /// What would do.
        needs: &'static str,
        /// What the key holds.
        holds: String,
    },
    /// The bank does not exist for this key.
    NoSuchBank(String),
    /// The key's tenant may match against the bank but not do this.
    SharedOnly(String),
    /// The hotline's routes are for the hotline's tenant.
    NotHotlineTenant,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::Role { needs, holds } => {
                write!(
                    f,
                    "this needs a key with role {needs}; this key holds {holds}"
                )
            }
            Denied::NoSuchBank(name) => write!(f, "no bank named {name:?}"),
            Denied::SharedOnly(name) => write!(
                f,
                "bank {name:?} is shared with your tenant for matching only"
            ),
            Denied::NotHotlineTenant => {
                f.write_str("the hotline's routes are only for keys of the hotline's tenant")
            }
        }
    }
}

impl std::error::Error for Denied {}

/// The permission model, with the one setting it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The tenant the hotline belongs to.
    pub hotline_tenant: String,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            hotline_tenant: DEFAULT_TENANT.to_string(),
        }
    }
}

fn role_denied(key: &ApiKey, needs: &'static str) -> Denied {
    Denied::Role {
        needs,
        holds: key.roles.to_string(),
    }
}

/// Whether `key` holds `role` or one above it on the same ladder.
fn holds_at_least(key: &ApiKey, role: Role) -> bool {
    let ladder: &[Role] = match role {
        Role::Matcher => &[Role::Matcher, Role::Curator, Role::Admin],
        Role::Curator => &[Role::Curator, Role::Admin],
        Role::Analyst => &[Role::Analyst, Role::Supervisor],
        Role::BlocklistUrls => &[Role::BlocklistUrls],
        Role::Blocklist => &[Role::Blocklist, Role::BlocklistUrls],
        other => return key.roles.holds(other),
    };
    ladder.iter().any(|r| key.roles.holds(*r))
}

fn need(key: &ApiKey, role: Role, names: &'static str) -> Result<(), Denied> {
    if holds_at_least(key, role) {
        Ok(())
    } else {
        Err(role_denied(key, names))
    }
}

impl Policy {
    /// A policy whose hotline belongs to `tenant`.
    pub fn with_hotline_tenant(tenant: &str) -> Policy {
        Policy {
            hotline_tenant: tenant.to_string(),
        }
    }

    /// The stored name of the bank a key means by `given`: a plain name
    /// is in the key's own tenant's namespace; `TENANT:NAME` names
    /// another tenant's bank (one shared with the key's tenant, or the
    /// answer is "no such bank", as for a bank that does not exist).
    pub fn bank_name(&self, key: &ApiKey, given: &str) -> String {
        match given.split_once(':') {
            // `default:acme:X` names nothing (it is no valid name).
            Some((_, local)) if local.contains(':') => given.to_string(),
            Some((tenant, local)) => Bank::name_in(tenant, local),
            None => Bank::name_in(&key.tenant, given),
        }
    }

    /// How a bank stored as `name` is called in answers to a key: as it
    /// can be given back. A default-tenant bank shared with another tenant
    /// is `default:NAME` there (a plain name would mean its own bank).
    pub fn bank_label(&self, key: &ApiKey, name: &str) -> String {
        if key.tenant != DEFAULT_TENANT && !name.contains(':') {
            format!("{DEFAULT_TENANT}:{name}")
        } else {
            name.to_string()
        }
    }

    /// Requests that concern no bank in particular: hashing, listing
    /// banks, index status (`Match`); reviews of the tenant's banks
    /// (`Curate`); audit, matches, subscriptions, dead letters and holds
    /// of the tenant (`Administer`).
    pub fn tenant(&self, key: &ApiKey, action: BankAction) -> Result<(), Denied> {
        match action {
            BankAction::Match => need(key, Role::Matcher, "matcher, curator or admin"),
            BankAction::Read if key.roles.holds(Role::Partner) => Ok(()),
            BankAction::Read => need(key, Role::Curator, "curator, admin or partner"),
            BankAction::Curate => need(key, Role::Curator, "curator or admin"),
            BankAction::Administer => need(key, Role::Admin, "admin"),
        }
    }

    /// A request about bank `name` with `settings`.
    pub fn bank(
        &self,
        key: &ApiKey,
        action: BankAction,
        name: &str,
        settings: &BankSettings,
    ) -> Result<(), Denied> {
        if !settings.visible_to(&key.tenant) {
            return Err(Denied::NoSuchBank(name.to_string()));
        }
        self.tenant(key, action)?;
        let allowed = match action {
            BankAction::Match => true,
            BankAction::Read => settings.readable_by(&key.tenant),
            BankAction::Curate | BankAction::Administer => settings.tenant == key.tenant,
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied::SharedOnly(name.to_string()))
        }
    }

    /// Whether a key of `tenant` owns the bank: records derived from it
    /// (reviews, dead letters, holds, subscriptions) are the owner's alone.
    pub fn owns(&self, tenant: &str, settings: &BankSettings) -> bool {
        settings.tenant == tenant
    }

    /// Whether a key of `tenant` owns the hotline's records that are not
    /// cases (its subscriptions to partner hotlines).
    pub fn owns_hotline(&self, tenant: &str) -> bool {
        tenant == self.hotline_tenant
    }

    /// A hotline route (other than public reporting and appeals).
    pub fn hotline(&self, key: &ApiKey, action: HotlineAction) -> Result<(), Denied> {
        let (role, names) = match action {
            HotlineAction::Assess => (Role::Analyst, "analyst or supervisor"),
            HotlineAction::Supervise => (Role::Supervisor, "supervisor"),
        };
        need(key, role, names)?;
        if key.tenant != self.hotline_tenant {
            return Err(Denied::NotHotlineTenant);
        }
        Ok(())
    }

    /// Placing, seeing and releasing legal holds of `kind`: a bank's
    /// records are held by its owner's admins, a hotline case's by the
    /// hotline's supervisors.
    pub fn hold(&self, key: &ApiKey, kind: HoldKind) -> Result<(), Denied> {
        match kind {
            HoldKind::Case => self.hotline(key, HotlineAction::Supervise),
            HoldKind::Bank | HoldKind::Content | HoldKind::Match => {
                self.tenant(key, BankAction::Administer)
            }
        }
    }

    /// Putting a case's hashes into bank `name`: a supervisor of the
    /// hotline, into a bank the hotline's tenant owns.
    pub fn hotline_bank(
        &self,
        key: &ApiKey,
        name: &str,
        settings: &BankSettings,
    ) -> Result<(), Denied> {
        self.hotline(key, HotlineAction::Supervise)?;
        if !settings.visible_to(&key.tenant) {
            return Err(Denied::NoSuchBank(name.to_string()));
        }
        if settings.tenant != self.hotline_tenant {
            return Err(Denied::SharedOnly(name.to_string()));
        }
        Ok(())
    }

    /// Reading this hotline's shared assessments: partner hotlines, and
    /// the hotline's own people.
    pub fn shared_assessments(&self, key: &ApiKey) -> Result<(), Denied> {
        if key.roles.holds(Role::Partner) {
            return Ok(());
        }
        self.hotline(key, HotlineAction::Assess)
            .map_err(|_| role_denied(key, "partner, or a hotline role in the hotline's tenant"))
    }

    /// Whether a key's reports are a partner hotline's (linked to their
    /// case, limited per key) rather than the public's (limited per
    /// address, told nothing about the case).
    pub fn reports_as_partner(&self, key: &ApiKey) -> bool {
        key.roles.holds(Role::Partner)
    }

    /// Reading the blocklist, and in which form.
    pub fn blocklist(&self, key: &ApiKey) -> Result<UrlForm, Denied> {
        if key.roles.holds(Role::BlocklistUrls) {
            Ok(UrlForm::Plain)
        } else if key.roles.holds(Role::Blocklist) {
            Ok(UrlForm::Sha256)
        } else {
            Err(role_denied(key, "blocklist or blocklist-urls"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashwatch_model::Roles;

    fn key(id: i64, tenant: &str, roles: &[Role]) -> ApiKey {
        ApiKey {
            id,
            tenant: tenant.into(),
            name: format!("key {id}"),
            roles: Roles::of(roles),
            created_at: 0,
            revoked_at: None,
        }
    }

    fn bank(owner: &str, shared: &[&str], read: &[&str]) -> BankSettings {
        BankSettings {
            tenant: owner.into(),
            shared_with: shared.iter().map(|t| t.to_string()).collect(),
            shared_read: read.iter().map(|t| t.to_string()).collect(),
            ..BankSettings::default()
        }
    }

    #[test]
    fn bank_roles_do_not_reach_the_hotline() {
        let policy = Policy::default();
        for role in [Role::Matcher, Role::Curator, Role::Admin, Role::Blocklist] {
            let k = key(1, DEFAULT_TENANT, &[role]);
            assert!(
                policy.hotline(&k, HotlineAction::Assess).is_err(),
                "{role:?}"
            );
        }
        let analyst = key(1, DEFAULT_TENANT, &[Role::Analyst]);
        assert_eq!(policy.hotline(&analyst, HotlineAction::Assess), Ok(()));
        assert!(policy.hotline(&analyst, HotlineAction::Supervise).is_err());
        assert!(policy.tenant(&analyst, BankAction::Match).is_err());
    }

    #[test]
    fn the_hotline_is_its_tenants_only() {
        let policy = Policy::with_hotline_tenant("hotline");
        let outsider = key(1, "acme", &[Role::Supervisor]);
        assert_eq!(
            policy.hotline(&outsider, HotlineAction::Assess),
            Err(Denied::NotHotlineTenant)
        );
        let insider = key(2, "hotline", &[Role::Supervisor]);
        assert_eq!(policy.hotline(&insider, HotlineAction::Supervise), Ok(()));
    }

    #[test]
    fn only_supervisors_of_the_hotline_supervise() {
        let policy = Policy::default();
        let supervisor = key(2, DEFAULT_TENANT, &[Role::Supervisor]);
        assert_eq!(
            policy.hotline(&supervisor, HotlineAction::Supervise),
            Ok(())
        );
        let analyst = key(3, DEFAULT_TENANT, &[Role::Analyst]);
        assert!(policy.hotline(&analyst, HotlineAction::Supervise).is_err());
        let admin = key(4, DEFAULT_TENANT, &[Role::Admin, Role::Curator]);
        assert!(policy.hotline(&admin, HotlineAction::Supervise).is_err());
    }

    #[test]
    fn shared_banks_are_for_matching_unless_read_is_granted() {
        let policy = Policy::default();
        let settings = bank("owner", &["guest", "reader"], &["reader"]);
        let guest = key(1, "guest", &[Role::Admin]);
        assert_eq!(
            policy.bank(&guest, BankAction::Match, "B", &settings),
            Ok(())
        );
        for action in [BankAction::Read, BankAction::Curate, BankAction::Administer] {
            assert_eq!(
                policy.bank(&guest, action, "B", &settings),
                Err(Denied::SharedOnly("B".into()))
            );
        }
        let reader = key(2, "reader", &[Role::Curator]);
        assert_eq!(
            policy.bank(&reader, BankAction::Read, "B", &settings),
            Ok(())
        );
        let pipeline = key(6, "owner", &[Role::Matcher]);
        assert!(policy
            .bank(&pipeline, BankAction::Read, "B", &settings)
            .is_err());
        let subscriber = key(7, "reader", &[Role::Partner]);
        assert_eq!(
            policy.bank(&subscriber, BankAction::Read, "B", &settings),
            Ok(())
        );
        let guest_partner = key(8, "guest", &[Role::Partner]);
        assert!(policy
            .bank(&guest_partner, BankAction::Read, "B", &settings)
            .is_err());
        let stranger = key(3, "stranger", &[Role::Admin]);
        assert_eq!(
            policy.bank(&stranger, BankAction::Match, "B", &settings),
            Err(Denied::NoSuchBank("B".into()))
        );
        let owner_matcher = key(4, "owner", &[Role::Matcher]);
        assert!(policy
            .bank(&owner_matcher, BankAction::Curate, "B", &settings)
            .is_err());
        let owner_admin = key(5, "owner", &[Role::Admin]);
        assert_eq!(
            policy.bank(&owner_admin, BankAction::Administer, "B", &settings),
            Ok(())
        );
    }

    #[test]
    fn the_blocklist_is_hashed_unless_urls_are_granted() {
        let policy = Policy::default();
        let matcher = key(1, DEFAULT_TENANT, &[Role::Admin, Role::Supervisor]);
        assert!(policy.blocklist(&matcher).is_err());
        let isp = key(2, "isp", &[Role::Blocklist]);
        assert_eq!(policy.blocklist(&isp), Ok(UrlForm::Sha256));
        let filter = key(3, "filter", &[Role::BlocklistUrls]);
        assert_eq!(policy.blocklist(&filter), Ok(UrlForm::Plain));
    }

    #[test]
    fn partners_read_shared_assessments_and_nothing_of_the_hotline() {
        let policy = Policy::default();
        let partner = key(1, "partner-hotline", &[Role::Partner]);
        assert_eq!(policy.shared_assessments(&partner), Ok(()));
        assert!(policy.hotline(&partner, HotlineAction::Assess).is_err());
        let matcher = key(2, DEFAULT_TENANT, &[Role::Matcher]);
        assert!(policy.shared_assessments(&matcher).is_err());
    }
}
