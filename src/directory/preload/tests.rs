use super::*;
use crate::store::contacts::Contacts;

fn rules() -> PhoneRules {
    PhoneRules::new("US", 8).unwrap()
}

async fn names(store: &Store) -> Vec<String> {
    Contacts::new(store.clone())
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[tokio::test]
async fn the_file_is_imported_once_and_again_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(
        &path,
        "name,phone\nLisa Simpson,555-1234\nHomer Simpson,555-0113\n",
    )
    .unwrap();
    let store = Store::in_memory().await.unwrap();
    // One the agent added by hand: a re-import never touches it.
    Contacts::new(store.clone())
        .upsert_many(
            &rules(),
            &[NewContact {
                name: "Ned Flanders".into(),
                phones: vec!["555-7777".into()],
                ..NewContact::default()
            }],
        )
        .await
        .unwrap();

    let first = sync(&store, &rules(), &path).await.unwrap().unwrap();
    assert_eq!((first.imported, first.removed), (2, 0));
    assert_eq!(
        sync(&store, &rules(), &path).await.unwrap(),
        None,
        "unchanged: not again"
    );
    let lisa_id = Contacts::new(store.clone()).list().await.unwrap()[1]
        .id
        .clone();

    std::fs::write(
        &path,
        "name,phone\nLisa Simpson,555-1234\nMarge Simpson,555-0199\n",
    )
    .unwrap();
    let second = sync(&store, &rules(), &path).await.unwrap().unwrap();
    assert_eq!((second.imported, second.removed), (2, 1));
    assert_eq!(
        names(&store).await,
        ["Lisa Simpson", "Marge Simpson", "Ned Flanders"]
    );
    let lisa_again = Contacts::new(store.clone()).list().await.unwrap()[0]
        .id
        .clone();
    assert_eq!(lisa_id, lisa_again, "an unchanged row keeps its id");
}

#[tokio::test]
async fn a_missing_or_broken_file_keeps_the_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, "name,phone\nLisa Simpson,555-1234\n").unwrap();
    let store = Store::in_memory().await.unwrap();
    sync(&store, &rules(), &path).await.unwrap();
    std::fs::write(&path, "no,useful,header\n1,2,3\n").unwrap();
    let err = sync(&store, &rules(), &path).await.unwrap_err().to_string();
    assert!(err.contains("contacts.csv"), "{err}");
    std::fs::remove_file(&path).unwrap();
    assert!(sync(&store, &rules(), &path).await.is_err());
    assert_eq!(names(&store).await, ["Lisa Simpson"]);
}
