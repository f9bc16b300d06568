// A websocket that reconnects with backoff and reports its state (for "listening").
export function liveSocket(path, { onMessage, onState }) {
  let socket = null;
  let delay = 1000;
  let stopped = false;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.onopen = () => {
      delay = 1000;
      onState("open");
    };
    socket.onmessage = (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch (error) {
        console.warn("Ignored a websocket message that is not JSON", error);
      }
    };
    socket.onclose = () => {
      if (stopped) return;
      onState("closed");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  };
  connect();
  return { close() { stopped = true; if (socket) socket.close(); } };
}
