def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["postgres"] == "ok"
