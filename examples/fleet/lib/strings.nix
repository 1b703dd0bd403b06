# String helpers (a small subset of nixpkgs' lib.strings, written from builtins).
lib:
let
  inherit (builtins) filter isString split stringLength substring;
in
rec {
  inherit (builtins) concatStringsSep replaceStrings stringLength substring toJSON;

  concatStrings = builtins.concatStringsSep "";
  concatMapStrings = f: xs: concatStrings (map f xs);
  concatMapStringsSep = sep: f: xs: builtins.concatStringsSep sep (map f xs);
  concatLines = xs: concatMapStrings (x: x + "\n") xs;

  optionalString = cond: s: if cond then s else "";

  hasPrefix = pre: s: substring 0 (stringLength pre) s == pre;
  hasSuffix = suf: s:
    let ls = stringLength s; lsuf = stringLength suf;
    in lsuf <= ls && substring (ls - lsuf) lsuf s == suf;

  removePrefix = pre: s:
    if hasPrefix pre s then substring (stringLength pre) (stringLength s - stringLength pre) s else s;
  removeSuffix = suf: s:
    if hasSuffix suf s then substring 0 (stringLength s - stringLength suf) s else s;

  # splitString "," "a,b" == [ "a" "b" ] (sep is taken literally).
  splitString = sep: s: filter isString (split (escapeRegex sep) s);
  escapeRegex = builtins.replaceStrings
    [ "\\" "." "*" "+" "?" "(" ")" "[" "]" "{" "}" "|" "^" "$" ]
    [ "\\\\" "\\." "\\*" "\\+" "\\?" "\\(" "\\)" "\\[" "\\]" "\\{" "\\}" "\\|" "\\^" "\\$" ];

  toUpper = builtins.replaceStrings lower upper;
  toLower = builtins.replaceStrings upper lower;
  lower = chars "abcdefghijklmnopqrstuvwxyz";
  upper = chars "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  chars = s: builtins.genList (i: substring i 1 s) (stringLength s);

  escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";

  # Contents of a file without its trailing newline (handy for keys, tokens).
  fileContents = file: removeSuffix "\n" (builtins.readFile file);

  # Renders an option path: [ "environment" "etc" "tmux.conf" ] -> environment.etc."tmux.conf"
  showOption = loc: concatMapStringsSep "." (part:
    if builtins.match "[A-Za-z_][A-Za-z0-9_'-]*" part != null then part else "\"${part}\"") loc;
}
