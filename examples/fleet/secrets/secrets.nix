# Who can decrypt which secret. Read by the `agenix` CLI only
# (`agenix -e db-password.age`), never imported by the flake.
let
  # people
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3xV0ZsYc2x6Zb0q2cWj7k0fXr6F1dVv0H9pQe1mAl";
  bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH8bq9tPzKc2Yd0Zr3v1Lw6nQm4sTj7uFx2aRb5eC0Bb";
  admins = [ alice bob ];

  # host keys (ssh-keyscan <host>)
  web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq1web1web1web1web1web1web1web1web1web1w";
  web2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq2web2web2web2web2web2web2web2web2web2w";
  web3 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq3web3web3web3web3web3web3web3web3web3w";
  db1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKd1db1db1db1db1db1db1db1db1db1db1db1db1db1";
  db2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKd2db2db2db2db2db2db2db2db2db2db2db2db2db2";
in
{
  "db-password.age".publicKeys = admins ++ [ db1 db2 ];
  "api-token.age".publicKeys = admins ++ [ web1 web2 web3 ];
}
