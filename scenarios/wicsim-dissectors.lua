-- wicsim-dissectors.lua -- two things Wireshark 4.0 does not do by itself
-- for a WebRTC data channel:
--   1. dissect the decrypted DTLS application data as SCTP (RFC 8261);
--   2. dissect data-channel messages (SCTP PPID 51 "WebRTC String" and 53
--      "WebRTC Binary") as MSRP (RFC 8873: one MSRP message per message).
-- Use:  tshark -X lua_script:wicsim-dissectors.lua -o tls.keylog_file:KEYS -r PCAP
-- or copy it into ~/.local/lib/wireshark/plugins/ to have it always.

local sctp = Dissector.get("sctp")
local sctp_over_dtls = Proto("sctp_over_dtls", "SCTP over DTLS (RFC 8261)")

-- an SCTP common header (12 bytes) followed by a known chunk type
local known = { [0]=true, [1]=true, [2]=true, [3]=true, [4]=true, [5]=true, [6]=true,
                [7]=true, [8]=true, [9]=true, [10]=true, [11]=true, [12]=true,
                [13]=true, [14]=true, [15]=true, [0x80]=true, [0x82]=true,
                [0xc0]=true, [0xc1]=true }

local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 16 then return false end
  if not known[tvb(12, 1):uint()] then return false end
  -- chunk length covers at least its own header and stays in the record
  local clen = tvb(14, 2):uint()
  if clen < 4 or 12 + clen > tvb:len() + 3 then return false end
  sctp:call(tvb, pinfo, tree)
  return true
end
sctp_over_dtls:register_heuristic("dtls", heuristic)

local msrp = Dissector.get("msrp")
local ppi = DissectorTable.get("sctp.ppi")
ppi:add(51, msrp)
ppi:add(53, msrp)
