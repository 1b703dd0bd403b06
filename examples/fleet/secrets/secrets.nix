# Who can decrypt which secret. Read by the `agenix` CLI (`agenix -e db-password.age`) and by
# `infra secrets`, never imported by the flake. Host keys are each host's
# hosts/<name>/ssh_host_ed25519_key.pub (`ssh-keyscan -t ed25519 <host>`).
let
  # people
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2DGvxKnAPVvr6CeYq74xBLx/sPeVnK3zTsQ783Hc/0";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGGuk9CBOpEVhzUt79aVxC1zIPGxsw8rgpsiUqWYIacO";
  admins = [ alice bob ];

  # host keys
  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtjmWRMQYc096m0gOMrTQmzLYmntMR3yhnH3tW4B04M";
  web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINHJzw7t2W8+mC4nXC7fLTtyGLMFPDzEOJ/AfoNB3Oi7";
  web3 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICjQryNGfJEfRXa+BB6VeVjMXb0yow6rVvwlfb8yvnMf";
  db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDY/QLSZHd/9R8R9bhgs1UTqKmGrS7txT62p50RvBGmK";
  db2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC6QpbomNS+3a0CUiHgQlD4ghA5v1MmQD5t2wraF9r6D";
in
{
  "db-password.age".publicKeys = admins ++ [ db1 db2 ];
  "api-token.age".publicKeys = admins ++ [ web1 web2 web3 ];
}
