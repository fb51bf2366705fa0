//! Checks of `WebhookIds`: a signed call's id is recorded once per channel until its time, a
//! forgotten id is recorded again, and an id past its time counts as none.

use chrono::TimeDelta;
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::values::ChannelId;

use crate::fixtures::at;

fn channel(name: &str) -> ChannelId {
    ChannelId::parse(name).unwrap()
}

/// An id is new once per channel until its time, and new again from then on.
pub async fn a_webhook_id_is_recorded_once_per_channel_until_its_time(store: &dyn Store) {
    let (adm, eu) = (channel("adm"), channel("adm-eu"));
    let until = at(600);
    assert!(
        store
            .record_webhook_id(&adm, "msg_1", at(0), until)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_webhook_id(&adm, "msg_1", at(1), until)
            .await
            .unwrap(),
        "a replay is not new"
    );
    assert!(
        !store
            .record_webhook_id(&adm, "msg_1", at(599), at(900))
            .await
            .unwrap(),
        "still kept a second before its time, and its time not moved"
    );
    assert!(
        store
            .record_webhook_id(&eu, "msg_1", at(2), until)
            .await
            .unwrap(),
        "the same id on another channel is another call"
    );
    assert!(
        store
            .record_webhook_id(&adm, "msg_2", at(3), until)
            .await
            .unwrap()
    );
    // Past its time, an id counts as none: recorded again, kept to its new time.
    assert!(
        store
            .record_webhook_id(&adm, "msg_1", at(600), at(1_200))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_webhook_id(&adm, "msg_1", at(1_199), at(1_800))
            .await
            .unwrap()
    );
    // Ids are compared exactly.
    assert!(
        store
            .record_webhook_id(&adm, "MSG_1", at(1_199), at(1_800))
            .await
            .unwrap()
    );
}

/// A forgotten id (its call failed on this side) is recorded again at the sender's retry;
/// forgetting an id never recorded is nothing.
pub async fn a_forgotten_webhook_id_is_recorded_again(store: &dyn Store) {
    let adm = channel("adm");
    let until = at(600) + TimeDelta::seconds(1);
    assert!(
        store
            .record_webhook_id(&adm, "msg_f", at(0), until)
            .await
            .unwrap()
    );
    store.forget_webhook_id(&adm, "msg_f").await.unwrap();
    assert!(
        store
            .record_webhook_id(&adm, "msg_f", at(30), until)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_webhook_id(&adm, "msg_f", at(31), until)
            .await
            .unwrap()
    );
    store.forget_webhook_id(&adm, "never-seen").await.unwrap();
    store
        .forget_webhook_id(&channel("feedamp"), "msg_f")
        .await
        .unwrap();
    assert!(
        !store
            .record_webhook_id(&adm, "msg_f", at(32), until)
            .await
            .unwrap(),
        "forgetting it on another channel left it recorded"
    );
}
