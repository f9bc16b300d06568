// The execution currently running in this isolate. Executions of a batch run one after
// the other, so console output, Segment calls, timers and fetches always belong to it.
let current = null;

export function currentExecution() {
  return current;
}

export function setCurrentExecution(execution) {
  current = execution;
}

// Built-ins called after their execution ended (a stray callback) must do nothing.
export function activeExecution() {
  return current && !current.settled ? current : null;
}
