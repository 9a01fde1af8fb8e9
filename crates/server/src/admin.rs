//! The admin commands (`latarnia-server org add …`) and the first-start bootstrap, as plain
//! functions over the store so the tests call them directly.

use std::io::BufRead;

use latarnia_core::sync::{Role, User};
use uuid::Uuid;

use crate::auth::{generate_password, hash_password};
use crate::config::{Command, OrgCommand, RetentionCommand, TokenCommand, UserCommand};
use crate::store::{Db, StoreError};

pub const FIRST_ORG: &str = "Latarnia";
pub const FIRST_ADMIN: &str = "admin";

/// The app's Polish texts (the words a person's copy of their data is written in).
fn polish(key: &str) -> String {
    static TEXTS: std::sync::OnceLock<std::collections::HashMap<String, String>> = std::sync::OnceLock::new();
    let texts =
        TEXTS.get_or_init(|| serde_json::from_str(include_str!("../../../locales/pl.json")).unwrap_or_default());
    texts.get(key).cloned().unwrap_or_else(|| key.to_owned())
}

/// The file in the data directory that holds the first admin's password (mode 0600).
pub const FIRST_PASSWORD_FILE: &str = "first-admin-password.txt";

/// On first start with no users: an organisation and an admin with a random password, returned
/// once so the server can tell where it is. Several instances starting at once on one empty
/// database all come up: the one that loses the race finds the other's organisation and admin.
pub async fn bootstrap(db: &Db) -> Result<Option<(String, String)>, StoreError> {
    if db.user_count().await? > 0 {
        return Ok(None);
    }
    let org = match db.org_by_name(FIRST_ORG).await? {
        Some(o) => o,
        None => match db.org_add(FIRST_ORG).await {
            Err(StoreError::Conflict) => db.org_by_name(FIRST_ORG).await?.ok_or(StoreError::NotFound)?,
            other => other?,
        },
    };
    let password = generate_password();
    let hash = tokio::task::block_in_place(|| hash_password(&password));
    let user = User {
        id: Uuid::new_v4(),
        login: FIRST_ADMIN.into(),
        display_name: "Administrator".into(),
        role: Role::Admin,
        org_id: org.id,
    };
    match db.user_add(&user, &hash).await {
        Err(StoreError::Conflict) => Ok(None),
        other => other.map(|()| Some((user.login, password))),
    }
}

/// Writes the first admin's password to [`FIRST_PASSWORD_FILE`] in `dir`, readable by this
/// user only (not into a service's journal); returns the file's path.
pub fn write_first_password(dir: &std::path::Path, password: &str) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    let path = dir.join(FIRST_PASSWORD_FILE);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&path)?;
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(f, "{password}")?;
    f.sync_all()?;
    Ok(path)
}

/// Creates `dir` (and its parents) and makes it this user's only (0700).
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

fn read_password(stdin: &mut dyn BufRead) -> Result<String, String> {
    let mut line = String::new();
    stdin.read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.chars().count() < 10 {
        return Err("the password must have at least 10 characters".into());
    }
    if p.len() > crate::auth::MAX_PASSWORD_BYTES {
        return Err(format!("the password may have at most {} bytes", crate::auth::MAX_PASSWORD_BYTES));
    }
    Ok(p)
}

/// Retention for every organisation (or one): contacts past its setting anonymised, records
/// deleted more than `trash_days` ago purged. One line per organisation.
pub async fn retention(
    db: &Db,
    only: Option<&str>,
    trash_days: u32,
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
) -> Result<String, String> {
    use crate::store::{run_job, Job};
    let orgs = db.org_list().await.map_err(|e| e.to_string())?;
    if let Some(name) = only {
        if !orgs.iter().any(|(o, _)| o.name == name) {
            return Err(format!("no organisation named {name:?}"));
        }
    }
    let now_ms = now.timestamp_millis();
    let trash_cutoff = (now_ms - i64::from(trash_days) * 86_400_000).max(0) as u64;
    let mut out = Vec::new();
    for (org, months) in orgs.iter().filter(|(o, _)| only.is_none_or(|n| n == o.name)) {
        let anonymised = match latarnia_core::retention::retention_cutoff(now, *months) {
            Some(cutoff) => {
                run_job(db, org.id, &Job::Retention(cutoff), now_ms, dry_run).await.map_err(|e| e.to_string())?
            }
            None => 0,
        };
        let purged =
            run_job(db, org.id, &Job::Purge(trash_cutoff), now_ms, dry_run).await.map_err(|e| e.to_string())?;
        let verb = if dry_run { "would be" } else { "were" };
        out.push(format!(
            "{}: {anonymised} record(s) older than {months} months {verb} anonymised (contacts; notes of patrols and stops; reports no longer open); {purged} record(s) deleted more than {trash_days} days ago {verb} erased",
            org.name
        ));
    }
    Ok(out.join("\n"))
}

/// Runs one admin command; returns what to print.
pub async fn run(db: &Db, command: Command, stdin: &mut dyn BufRead) -> Result<String, String> {
    run_with(db, command, stdin, latarnia_core::retention::DEFAULT_TRASH_DAYS).await
}

/// [`run`] with the server's trash setting.
pub async fn run_with(db: &Db, command: Command, stdin: &mut dyn BufRead, trash_days: u32) -> Result<String, String> {
    let fail = |e: StoreError| e.to_string();
    match command {
        Command::Org(OrgCommand::Lock { org, minutes }) => {
            let most = latarnia_core::lock::MAX_LOCK_AFTER_MINUTES;
            if !(1..=most).contains(&minutes) {
                return Err(format!("give between 1 and {most} minutes"));
            }
            match db.org_set_lock_minutes(&org, minutes).await.map_err(fail)? {
                true => Ok(format!(
                    "{org}: the app locks after {minutes} minutes in the background (from each phone's next sign-in)"
                )),
                false => Err(format!("no organisation named {org:?}")),
            }
        }
        Command::Org(OrgCommand::Window { org, role, days }) => {
            let Some(role) = Role::parse(role.trim()) else {
                return Err(format!("no role {role:?}: admin, coordinator, streetworker, partner or facility"));
            };
            let most = latarnia_core::window::MAX_DAYS;
            if days > most {
                return Err(format!("give between 0 (the whole history) and {most} days"));
            }
            match db.org_set_window(&org, role, days).await.map_err(fail)? {
                true if days == 0 => Ok(format!("{org}: {}s' phones keep the whole history", role.as_str())),
                true => Ok(format!(
                    "{org}: {}s' phones keep the last {days} days and open work (from each phone's next sync)",
                    role.as_str()
                )),
                false => Err(format!("no organisation named {org:?}")),
            }
        }
        Command::Org(OrgCommand::PublicFacilities { org, off }) => {
            match db.org_set_public_facilities(&org, !off).await.map_err(fail)? {
                Some(id) if off => {
                    Ok(format!("{org}: the aid facilities are no longer public (/public/facilities/{id})"))
                }
                Some(id) => {
                    Ok(format!("{org}: the aid facilities are public at /public/facilities/{id} (no beds, no people)"))
                }
                None => Err(format!("no organisation named {org:?}")),
            }
        }
        Command::Org(OrgCommand::Add { name }) => {
            let name = name.trim();
            if name.is_empty() {
                return Err("the organisation needs a name".into());
            }
            match db.org_add(name).await {
                Ok(org) => Ok(format!("organisation {:?} added ({})", org.name, org.id)),
                Err(StoreError::Conflict) => Err(format!("an organisation named {name:?} already exists")),
                Err(e) => Err(fail(e)),
            }
        }
        Command::User(UserCommand::Add { org, login, role, name, password_stdin }) => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!("unknown role {role:?}: use admin, coordinator, streetworker, partner or facility")
            })?;
            let login = login.trim().to_owned();
            if login.is_empty() || login.len() > 64 || login.chars().any(char::is_whitespace) {
                return Err("the login must be 1 to 64 characters with no spaces".into());
            }
            let org =
                db.org_by_name(&org).await.map_err(fail)?.ok_or_else(|| format!("no organisation named {org:?}"))?;
            let (password, generated) =
                if password_stdin { (read_password(stdin)?, false) } else { (generate_password(), true) };
            let user = User {
                id: Uuid::new_v4(),
                display_name: name.unwrap_or_else(|| login.clone()),
                login: login.clone(),
                role,
                org_id: org.id,
            };
            match db.user_add(&user, &hash_password(&password)).await {
                Ok(()) if generated => Ok(format!("user {login} added ({}); password: {password}", role.as_str())),
                Ok(()) => Ok(format!("user {login} added ({})", role.as_str())),
                Err(StoreError::Conflict) => Err(format!("the login {login:?} is taken")),
                Err(e) => Err(fail(e)),
            }
        }
        Command::User(UserCommand::List { org }) => {
            let org_id = match org {
                Some(name) => Some(
                    db.org_by_name(&name)
                        .await
                        .map_err(fail)?
                        .ok_or_else(|| format!("no organisation named {name:?}"))?
                        .id,
                ),
                None => None,
            };
            let rows = db.user_list(org_id).await.map_err(fail)?;
            Ok(rows
                .iter()
                .map(|a| {
                    format!(
                        "{}\t{}\t{}\t{}",
                        a.user.login,
                        a.user.role.as_str(),
                        a.user.display_name,
                        if a.disabled { "disabled" } else { "active" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        Command::User(UserCommand::Disable { login }) => match db.user_disable(&login).await.map_err(fail)? {
            true => Ok(format!("user {login} disabled; their sessions have ended")),
            false => Err(format!("no user {login:?}")),
        },
        Command::User(UserCommand::Role { login, role }) => {
            let parsed = Role::parse(&role).ok_or_else(|| {
                format!("unknown role {role:?}: use admin, coordinator, streetworker, partner or facility")
            })?;
            match db.user_set_role(&login, parsed).await.map_err(fail)? {
                true => Ok(format!("user {login} is now {role}")),
                false => Err(format!("no user {login:?}")),
            }
        }
        Command::User(UserCommand::Enable { login }) => match db.user_enable(&login).await.map_err(fail)? {
            true => Ok(format!("user {login} enabled; they can sign in again")),
            false => Err(format!("no user {login:?}")),
        },
        Command::User(UserCommand::Password { login, password_stdin }) => {
            let (password, generated) =
                if password_stdin { (read_password(stdin)?, false) } else { (generate_password(), true) };
            let hash = hash_password(&password);
            match db.user_set_password(&login, &hash).await.map_err(fail)? {
                false => Err(format!("no user {login:?}")),
                true if generated => Ok(format!("new password of {login}: {password}; their sessions have ended")),
                true => Ok(format!("password of {login} changed; their sessions have ended")),
            }
        }
        Command::Token(TokenCommand::Revoke { login }) => {
            if db.account(&login).await.map_err(fail)?.is_none() {
                return Err(format!("no user {login:?}"));
            }
            let n = db.tokens_revoke_all(&login).await.map_err(fail)?;
            Ok(format!("{n} session(s) of {login} ended"))
        }
        Command::Retention(RetentionCommand::Run { org, dry_run }) => {
            retention(db, org.as_deref(), trash_days, chrono::Utc::now(), dry_run).await
        }
        Command::Retention(RetentionCommand::Set { org, months }) => {
            match db.org_set_retention(&org, months).await.map_err(fail)? {
                true if months == 0 => Ok(format!("{org}: contacts are kept until deleted")),
                true => Ok(format!("{org}: contacts are anonymised after {months} months")),
                false => Err(format!("no organisation named {org:?}")),
            }
        }
        Command::Erase { org, pseudonym } => {
            let o =
                db.org_by_name(&org).await.map_err(fail)?.ok_or_else(|| format!("no organisation named {org:?}"))?;
            if latarnia_core::retention::pseudonym_key(&pseudonym).is_empty() {
                return Err("give the pseudonym to erase".into());
            }
            let now = chrono::Utc::now().timestamp_millis();
            let n = crate::store::run_job(db, o.id, &crate::store::Job::Erase(pseudonym), now, false)
                .await
                .map_err(fail)?;
            Ok(format!("{n} contact(s) erased (pseudonym and notes); every phone erases them at its next sync"))
        }
        Command::SubjectAccess { org, pseudonym, excel } => {
            let o =
                db.org_by_name(&org).await.map_err(fail)?.ok_or_else(|| format!("no organisation named {org:?}"))?;
            if latarnia_core::retention::pseudonym_key(&pseudonym).is_empty() {
                return Err("give the pseudonym whose data is asked for".into());
            }
            let held = crate::store::subject_access(db, o.id, &pseudonym).await.map_err(fail)?;
            // Who asked is the organisation's to record; the log says only that a copy was made.
            tracing::info!(org = %org, contacts = held.len(), "a person's copy of their data (art. 15) made");
            let rows = latarnia_core::retention::subject_access_rows(held, polish);
            let flavour =
                if excel { latarnia_core::csv::Flavour::PolishExcel } else { latarnia_core::csv::Flavour::Standard };
            Ok(latarnia_core::csv::write(&rows, flavour).trim_end().to_owned())
        }
        Command::AccessLog { org, limit } => {
            let o =
                db.org_by_name(&org).await.map_err(fail)?.ok_or_else(|| format!("no organisation named {org:?}"))?;
            let rows = db.access_log(o.id, limit).await.map_err(fail)?;
            Ok(rows
                .iter()
                .map(|e| {
                    let at =
                        chrono::DateTime::from_timestamp_millis(e.at_ms).map(|t| t.to_rfc3339()).unwrap_or_default();
                    let counts: Vec<String> = e.counts.iter().map(|(c, n)| format!("{c}={n}")).collect();
                    format!("{at}\t{}\t{}\t{}\t{}", e.login, e.device, e.client_id, counts.join(","))
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        Command::Restored => {
            let epoch = db.renew_epoch().await.map_err(fail)?;
            Ok(format!("new sync epoch {epoch}: every phone will pull again and keep what it has not sent"))
        }
    }
}
