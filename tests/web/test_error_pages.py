def test_a_forbidden_page_explains_itself_in_chinese(client, make_user, login):
    login(make_user("loan_officer"))
    resp = client.get("/admin/users")
    assert resp.status_code == 403
    page = resp.get_data(as_text=True)
    assert "信贷员无权办理此项业务" in page and "may not do this" not in page


def test_a_nul_in_a_form_is_a_chinese_400_page(client):
    resp = client.get("/login?next=%00")
    assert resp.status_code == 400
    assert "输入中含有不允许的控制字符" in resp.get_data(as_text=True)
