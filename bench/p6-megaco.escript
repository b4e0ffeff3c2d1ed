#!/usr/bin/env escript
%%! +S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none
%% bench/p6-megaco.escript -- P6's reference: Erlang/OTP megaco's text codec
%% (Debian erlang-megaco) on the same H.248 corpus as bench/bench-h248.
%%
%%   escript bench/p6-megaco.escript list FILE...
%%       prints the files megaco decodes, one a line, each distinct content
%%       once (bench/p6-h248 hands the same list to bench-h248)
%%   escript bench/p6-megaco.escript bench SECONDS FILE...
%%       for each scanner (megaco's Erlang scanner, and its flex scanner
%%       driver when it starts) and each mode (decode; decode + encode
%%       pretty; decode + encode compact) loops over the corpus for SECONDS
%%       and prints "megaco-SCANNER MODE N msg/s" per CPU second (the VM's
%%       runtime; one scheduler, no busy-waiting, so that is this loop's).
%%
%% API used (megaco 4.x): megaco_pretty_text_encoder:decode_message(EC,
%% dynamic, Bin) (the text parser reads both pretty and compact input),
%% megaco_pretty_text_encoder:encode_message(EC, Msg) and
%% megaco_compact_text_encoder:encode_message(EC, Msg); EC = [] for the
%% Erlang scanner, [{flex, Port}] (from megaco_flex_scanner:start()) for flex.
-mode(compile).

main(["list" | Files]) ->
    lists:foldl(fun(F, Seen) ->
                        {ok, B} = file:read_file(F),
                        case lists:member(B, Seen) of
                            true -> Seen;
                            false ->
                                case catch megaco_pretty_text_encoder:decode_message([], dynamic, B) of
                                    {ok, _} -> io:format("~s~n", [F]), [B | Seen];
                                    _ -> Seen
                                end
                        end
                end, [], Files),
    ok;
main(["bench", SecsS | Files]) ->
    Secs = list_to_float_any(SecsS),
    Msgs = [begin {ok, B} = file:read_file(F), B end || F <- Files],
    Avg = lists:sum([byte_size(B) || B <- Msgs]) div max(1, length(Msgs)),
    Scanners = [{"erl", []}] ++
        case catch megaco_flex_scanner:start() of
            {ok, Port} -> [{"flex", [{flex, Port}]}];
            Other -> io:format("megaco: flex scanner not available (~p)~n", [Other]), []
        end,
    io:format("megaco ~s, OTP ~s, ~b messages, avg ~b bytes~n",
              [megaco_vsn(), erlang:system_info(otp_release), length(Msgs), Avg]),
    [run(Name, EC, Mode, Msgs, Secs) || {Name, EC} <- Scanners,
                                        Mode <- [decode, pretty, compact]],
    ok;
main(_) ->
    io:format(standard_error, "usage: p6-megaco.escript list FILE... | bench SECONDS FILE...~n", []),
    halt(2).

run(Name, EC, Mode, Msgs, Secs) ->
    [one(EC, Mode, M) || M <- Msgs],   % warm up, and fail loudly on a bad message
    {R0, _} = erlang:statistics(runtime),
    Count = loop(EC, Mode, Msgs, R0 + round(Secs * 1000), 0),
    {R1, _} = erlang:statistics(runtime),
    T = max(1, R1 - R0) / 1000.0,
    Label = case Mode of
                decode -> "decode";
                pretty -> "decode+encode pretty";
                compact -> "decode+encode compact"
            end,
    io:format("megaco-~-4s ~-24s ~10b msg/s~n", [Name, Label, round(Count / T)]).

loop(EC, Mode, Msgs, Limit, N) ->
    [one(EC, Mode, M) || M <- Msgs],
    N1 = N + length(Msgs),
    {R, _} = erlang:statistics(runtime),
    case R < Limit of
        true -> loop(EC, Mode, Msgs, Limit, N1);
        false -> N1
    end.

one(EC, Mode, Bin) ->
    {ok, M} = megaco_pretty_text_encoder:decode_message(EC, dynamic, Bin),
    case Mode of
        decode -> ok;
        pretty -> {ok, _} = megaco_pretty_text_encoder:encode_message([], M);
        compact -> {ok, _} = megaco_compact_text_encoder:encode_message([], M)
    end.

megaco_vsn() ->
    case code:lib_dir(megaco) of
        {error, _} -> "?";
        Dir -> filename:basename(Dir)
    end.

list_to_float_any(S) ->
    case string:to_float(S) of
        {F, []} -> F;
        _ -> float(list_to_integer(S))
    end.
