//! The sync API over HTTP, and a simulated phone that runs the app's sync engine over an
//! in-memory replica.

use super::*;

/// The sync API over HTTP, as the app's fetch shell speaks it.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub token: String,
    client: reqwest::Client,
}

impl Http {
    pub async fn login(base: &str, login: &str, password: &str) -> Http {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let body = serde_json::json!({"login": login, "password": password, "device_name": "sim"});
        let r = client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "login {login}: {}", r.status());
        let v: Value = r.json().await.unwrap();
        Http { base: base.to_owned(), token: v["token"].as_str().unwrap().to_owned(), client }
    }

    /// A GET of `path` (from `/api/v1`): the status and the JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The same client with another token (a forged one, in the tests of refusals).
    pub fn with_token(&self, token: &str) -> Http {
        Http { token: token.to_owned(), ..self.clone() }
    }

    pub fn via(&self, base: &str) -> Http {
        Http { base: base.to_owned(), ..self.clone() }
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, TransportError> {
        let r = r.map_err(|_| TransportError::Offline)?;
        let status = r.status().as_u16();
        let body = r.text().await.map_err(|_| TransportError::Offline)?;
        latarnia_core::engine::decode(status, &body)
    }
}

impl Transport for Http {
    type Fields = serde_json::Map<String, serde_json::Value>;

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        Self::answer(
            self.client.post(format!("{}/api/v1/sync/push", self.base)).bearer_auth(&self.token).json(req).send().await,
        )
        .await
    }

    async fn pull(&self, client_id: Uuid, cursor: &str, limit: u32) -> Result<PullResponse, TransportError> {
        let url = format!("{}/api/v1/sync/pull", self.base);
        let q = [("client_id", client_id.to_string()), ("cursor", cursor.to_owned()), ("limit", limit.to_string())];
        Self::answer(self.client.get(url).bearer_auth(&self.token).query(&q).send().await).await
    }
}

/// Records by collection and id: fields and the deleted flag.
pub type Records = BTreeMap<(String, Uuid), (Map<String, Value>, bool)>;

/// A phone's store in memory, with the same duties as the app's IndexedDB store.
#[derive(Clone, Default, Debug, PartialEq)]
pub struct PhoneState {
    pub records: Records,
    pub outbox: Vec<Mutation>,
    pub last_mid: u64,
    pub cursor: String,
    pub rejected: Vec<Rejected>,
    pub clock: Option<Hlc>,
    /// Per record: each field's HLC and the deleted flag's.
    pub hlcs: BTreeMap<(String, Uuid), (BTreeMap<String, String>, String)>,
}

pub struct Phone {
    pub client_id: Uuid,
    pub state: RefCell<PhoneState>,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Phone {
    pub fn new() -> Phone {
        let client_id = Uuid::new_v4();
        Phone { client_id, state: RefCell::new(PhoneState { clock: Some(Hlc::zero(client_id)), ..Default::default() }) }
    }

    /// A phone that crashed and came back with what it had stored.
    pub fn from_state(client_id: Uuid, state: PhoneState) -> Phone {
        Phone { client_id, state: RefCell::new(state) }
    }

    /// A local edit: the record and its outbox mutation together (as one IndexedDB transaction).
    pub fn edit(&self, collection: &str, id: Uuid, op: Op, fields: Map<String, Value>) {
        let mut s = self.state.borrow_mut();
        let hlc = s.clock.unwrap().tick(now_ms()).unwrap();
        s.clock = Some(hlc);
        s.last_mid += 1;
        let key = (collection.to_owned(), id);
        let entry = s.records.entry(key.clone()).or_insert_with(|| (Map::new(), false));
        match op {
            Op::Upsert => entry.0.extend(fields.clone()),
            Op::Delete => entry.1 = true,
            Op::Restore => entry.1 = false,
        }
        let h = s.hlcs.entry(key).or_default();
        match op {
            Op::Upsert => h.0.extend(fields.keys().map(|k| (k.clone(), hlc.to_string()))),
            Op::Delete | Op::Restore => h.1 = hlc.to_string(),
        }
        let mid = s.last_mid;
        s.outbox.push(Mutation { mid, collection: collection.into(), id, op, hlc: hlc.to_string(), fields });
    }

    pub async fn sync<T: Transport<Fields = serde_json::Map<String, serde_json::Value>>>(
        &self,
        t: &T,
    ) -> Result<engine::SyncReport, engine::SyncError<()>> {
        engine::sync_once(t, self, |_| {}).await
    }
}

impl Replica for Phone {
    type Error = ();
    type Fields = serde_json::Map<String, serde_json::Value>;

    async fn client_id(&self) -> Result<Uuid, ()> {
        Ok(self.client_id)
    }

    async fn outbox(&self) -> Result<Vec<Mutation>, ()> {
        Ok(self.state.borrow().outbox.clone())
    }

    async fn acknowledge(&self, through: u64, rejected: Vec<Rejected>) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        s.outbox.retain(|m| m.mid > through);
        s.rejected.extend(rejected);
        Ok(())
    }

    async fn cursor(&self) -> Result<String, ()> {
        Ok(self.state.borrow().cursor.clone())
    }

    type Prepared = ();
    async fn prepare(&self, _: &[Change]) {}

    async fn apply_pull(&self, changes: &[Change], _: (), cursor: &str) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        let pend = pending(&s.outbox);
        for c in changes {
            let key = (c.collection.clone(), c.id);
            let local = s.records.get(&key).map(|(f, d)| (f.clone(), *d));
            let p = pend.get(&key);
            let merged = merge_pulled(local.as_ref().map(|(f, d)| (f, *d)), c, p);
            s.records.insert(key.clone(), merged);
            let old = s.hlcs.get(&key).cloned().unwrap_or_default();
            let mut field_hlcs = c.field_hlcs.clone();
            let mut deleted_hlc = c.deleted_hlc.clone();
            if let Some(p) = p {
                for name in &p.fields {
                    match old.0.get(name) {
                        Some(h) => field_hlcs.insert(name.clone(), h.clone()),
                        None => field_hlcs.remove(name),
                    };
                }
                if p.deleted.is_some() {
                    deleted_hlc = old.1.clone();
                }
            }
            s.hlcs.insert(key, (field_hlcs, deleted_hlc));
        }
        if let Some(h) = newest_hlc(changes) {
            s.clock = Some(s.clock.unwrap().observe(h, now_ms()).unwrap());
        }
        s.cursor = cursor.to_owned();
        Ok(())
    }

    async fn resend_all(&self, after_mid: u64) -> Result<(), ()> {
        let mut s = self.state.borrow_mut();
        let empty = (BTreeMap::new(), String::new());
        let plan = engine::resend_plan(
            s.records.iter().map(|((c, id), (fields, deleted))| {
                let h = s.hlcs.get(&(c.clone(), *id)).unwrap_or(&empty);
                engine::Held { collection: c, id: *id, fields, field_hlcs: &h.0, deleted: *deleted, deleted_hlc: &h.1 }
            }),
            after_mid,
        );
        s.last_mid = after_mid + plan.len() as u64;
        s.outbox = plan;
        Ok(())
    }
}

/// The server's whole state as one user reads it: a full pull from an empty cursor.
pub async fn server_state(http: &Http) -> Records {
    let phone = Phone::new();
    if let Err(e) = phone.sync(http).await {
        panic!("reading the server: {e:?}");
    }
    phone.state.into_inner().records
}
