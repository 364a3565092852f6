import { useProjectBroker } from './broker-project-setup.js';

useProjectBroker('activemq6');
