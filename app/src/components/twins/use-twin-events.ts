"use client";
/**
 * Follows one asset's live updates on the twin API's server-sent event stream (/api/twin/events?assetId=…, which
 * the twin filters server-side). On any error the hook closes the stream and reopens it after a growing delay
 * (the browser's own retry would ask every few seconds, each failed attempt logged while the twin is away).
 * The stream is closed on unmount.
 */
import { useEffect, useRef, useState } from "react";
import { reconnectDelay } from "./telemetry";
import { followedEventTypes, parseTwinEvent, type FollowedEvent } from "./twin-api";

export type StreamStatus = "off" | "connecting" | "live" | "reconnecting";

export function useTwinEvents(assetId: number | null, onEvent: (event: FollowedEvent) => void): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>("off");
  // The latest handler, so a new closure each render does not reopen the stream.
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  }, [onEvent]);

  useEffect(() => {
    if (assetId === null || typeof EventSource === "undefined") {
      setStatus("off");
      return;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let stopped = false;
    const deliver = (message: MessageEvent<string>) => {
      const event = parseTwinEvent(message.data);
      if (event && !stopped) handler.current(event);
    };
    const open = () => {
      setStatus(failures === 0 ? "connecting" : "reconnecting");
      const current = new EventSource(`/api/twin/events?assetId=${assetId}`);
      source = current;
      current.onopen = () => {
        failures = 0;
        if (!stopped) setStatus("live");
      };
      current.onerror = () => {
        if (stopped || source !== current) return;
        current.close();
        source = null;
        failures++;
        setStatus("reconnecting");
        retry = setTimeout(open, reconnectDelay(failures));
      };
      for (const type of followedEventTypes) current.addEventListener(type, deliver as EventListener);
    };
    open();
    return () => {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      source?.close();
    };
  }, [assetId]);

  return status;
}
